"""Real hubs for tests: keys on disk, SQLite or PostgreSQL, uvicorn on a free 127.0.0.1 port."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.domain.ids import uuid7
from outreach.hub import db
from outreach.hub.app import create_app
from outreach.hub.keys import create_keys
from outreach.hub.service import Hub
from outreach.records import Record, Void, encode_record
from outreach.records.facts import ITEM_FIELDS
from outreach.records.validation import build_record
from outreach.store.counts import LIST_VALUES
from outreach.sync.envelope import raw_public, seal
from outreach.sync.protocol import EnrolRequest, b64e

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def make_hub(home: Path, url: str | None = None) -> Hub:
    keys = create_keys(home)
    hub = Hub(db.make_engine(url or f"sqlite:///{home / 'hub.db'}"), keys)
    hub.initialise()
    return hub


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def hub_on(backend: str, home: Path) -> Iterator[Hub]:
    """A hub on SQLite (in `home`) or on a fresh PostgreSQL database, dropped afterwards."""
    if backend == "sqlite":
        yield make_hub(home)
        return
    with postgres_database() as url:
        hub = make_hub(home, url)
        try:
            yield hub
        finally:
            hub.engine.dispose()


class Device:
    """An enrolled device that seals its own batches, seq after seq."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub, self.name, self.key, self.seq = hub, name, Ed25519PrivateKey.generate(), 0
        code = hub.new_enrolment("http://127.0.0.1")
        hub.enrol(EnrolRequest(code.token, name, b64e(raw_public(self.key.public_key()))))

    def batch(self, records: list[Record]) -> bytes:
        pairs = [(self.seq + i + 1, encode_record(r)) for i, r in enumerate(records)]
        self.seq += len(records)
        return seal(self.name, pairs, self.hub.keys.kem.public_key(), self.key)


def void(target: str) -> Void:
    return Void(
        id=uuid7(), occurred_at=NOW, recorded_by="tester", target=target, reason="entered_in_error"
    )


def list_items(hub: Hub) -> list[tuple[int, str, str]]:
    """(fact, field, value) of every list field value: JSON on SQLite, arrays on PostgreSQL
    (see outreach/hub/db.py)."""
    values = LIST_VALUES["arrays" if hub.sql.postgres else "json"]
    sql = " UNION ALL ".join(
        f"SELECT f.fact, '{field}', i.value FROM facts f, {values.format(field=field, alias='i')}"
        for field in ITEM_FIELDS
    )
    with hub.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql).all()
    return sorted((int(fact), field, value) for fact, field, value in rows)


def as_before_migrations(hub: Hub) -> None:
    """Make the hub look as one made before recorded migrations: no ledger of steps run."""
    with hub.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE hub_migrations")


def free_socket(port: int = 0) -> socket.socket:
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted sockets (else ~40 ms per reply)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def free_port() -> int:
    with contextlib.closing(free_socket()) as sock:
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(
    hub: Hub,
    *,
    rate: float = 0.0,
    tls: tuple[Path, Path] | None = None,
    port: int = 0,
    without: Sequence[str] = (),
) -> Iterator[str]:
    """The hub's app under uvicorn in this process (TLS with (cert, key)); yields the base URL.
    `without`: paths whose routes are taken out, so they answer 404 (an older hub's surface)."""
    sock = free_socket(port)
    port = sock.getsockname()[1]
    app = create_app(hub, rate=rate, burst=max(rate, 1))
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", "") not in without]
    config = uvicorn.Config(
        app,
        log_level="warning",
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("hub did not start")
        time.sleep(0.01)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def serve_in_process(
    home: Path, db_url: str, *, rate: float = 0.0, workers: int = 1, args: Sequence[str] = ()
) -> Iterator[str]:
    """`outreach-hub serve` as a real subprocess (its own core for the GIL); yields the URL."""
    with hub_process(home, db_url, rate=rate, workers=workers, args=args) as (_, url):
        yield url


@contextlib.contextmanager
def hub_process(
    home: Path, db_url: str, *, rate: float = 0.0, workers: int = 1, args: Sequence[str] = ()
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`outreach-hub serve` as a subprocess, stopped with SIGTERM after; yields it and its URL
    (`args`: more `serve` options)."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from outreach.hub.cli import main; raise SystemExit(main())",
        "--home",
        str(home),
        "--db",
        db_url,
        "serve",
        "--port",
        str(port),
        "--rate",
        str(rate),
        "--workers",
        str(workers),
        *args,
    ]
    process = subprocess.Popen(command, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # 2 cores shared with other runs: starts can be slow
        while True:
            try:
                if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("hub process did not start")
            time.sleep(0.05)
        yield process, url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL for one test run, dropped afterwards."""

    name = f"outreach_test_{os.getpid()}_{time.monotonic_ns() % 1_000_000}"
    admin = sa.create_engine(db.sqlalchemy_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (PEM files), as a small hub might use."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "outreach test hub")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "hub.crt", directory / "hub.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def contact(n: int = 0, **extra: object) -> Record:
    """A valid contact record (varied a little by n)."""
    data: dict[str, object] = {
        "type": "contact",
        "id": uuid7(),
        "occurred_at": (NOW - dt.timedelta(minutes=n)).isoformat(),
        "site": "outreach_van",
        "area": "LS6",
        "setting": "street",
        "age_band": ("25_34", "35_44", "45_54")[n % 3],
        "substances": ["heroin", "crack"] if n % 2 else ["alcohol"],
        "interventions": ["harm_reduction_advice"],
    }
    data.update(extra)
    return build_record(data, recorded_by="alice", now=NOW + dt.timedelta(days=1))


def contacts(count: int) -> list[Record]:
    return [contact(n) for n in range(count)]
