"""Shared by the sync benchmarks: a hub in its own process, records, a PostgreSQL database."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import sqlalchemy as sa

from outreach.domain import ids
from outreach.hub import db
from outreach.hub.keys import create_keys
from outreach.hub.service import Hub
from outreach.records import Contact, Record

START = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def make_records(count: int) -> list[Record]:
    return [
        Contact(
            id=ids.uuid7(),
            occurred_at=START + dt.timedelta(minutes=n),
            recorded_by="bench",
            site="outreach_van",
            area=f"LS{n % 29 + 1}",
            setting=("street", "hostel", "pharmacy")[n % 3],
            age_band=("25_34", "35_44", "45_54")[n % 3],
            substances=("heroin", "crack")[: n % 2 + 1],
            risk_factors=("using_alone",),
            interventions=("harm_reduction_advice",),
        )
        for n in range(count)
    ]


def init_hub(home: Path, url: str) -> Hub:
    hub = Hub(db.make_engine(url), create_keys(home))
    hub.initialise()
    return hub


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def hub_process(home: Path, url: str, workers: int = 1) -> Iterator[str]:
    """`outreach-hub serve` on a free loopback port, no rate limit; yields its URL."""
    port = _free_port()
    code = "from outreach.hub.cli import main; raise SystemExit(main())"
    args = ["--home", str(home), "--db", url, "serve", "--port", str(port), "--rate", "0"]
    args += ["--workers", str(workers)]
    process = subprocess.Popen([sys.executable, "-c", code, *args])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("hub did not start")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A scratch database on the local PostgreSQL, or None if there is no server."""
    name = f"outreach_bench_{os.getpid()}"
    admin = sa.create_engine(db.sqlalchemy_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        yield None
        return
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
