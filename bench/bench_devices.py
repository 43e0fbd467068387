"""The coordinator's device list (`GET /v1/service/devices`, issue 13 item 5): its query on a hub
with many kept batches, SQLite and PostgreSQL. Budget: 200 ms for 50 devices with 4,000 batches
each (200,000 batches: about a year of hourly syncs for a mid-sized service).

Last seen is a max(received_at) per device over its batches (the `batches.device_id` index), and
the coordinator's last request from the audit: this measures that it stays small as batches grow.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.hub_process import init_hub, postgres_database
from outreach.hub import db
from outreach.hub.device_admin import device_rows
from outreach.hub.service import Hub

DEVICES = 50
BATCHES = 4_000
BUDGET_MS = 200.0


def fill(hub: Hub) -> None:
    """Devices and their batches written straight into the tables (tiny envelopes)."""
    with hub.engine.begin() as conn:
        conn.execute(
            sa.insert(db.devices),
            [
                dict(
                    device_id=f"d{i}",
                    public_key=b"k" * 32,
                    label=f"van {i}",
                    role="worker",
                    enrolled_at="2026-01-01T00:00:00+00:00",
                )
                for i in range(DEVICES)
            ],
        )
        for i in range(DEVICES):
            conn.execute(
                sa.insert(db.batches),
                [
                    dict(
                        batch_id=f"b{i}-{j}",
                        device_id=f"d{i}",
                        first_seq=j * 100 + 1,
                        last_seq=j * 100 + 100,
                        sha256="x",
                        received_at=f"2026-{1 + j % 12:02d}-01T00:{j % 60:02d}:00+00:00",
                        via="https",
                        envelope=b"e",
                        receipt=b"r",
                    )
                    for j in range(BATCHES)
                ],
            )
        if hub.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


def measure(hub: Hub, label: str) -> None:
    fill(hub)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        rows = device_rows(hub)
        times.append(time.perf_counter() - started)
    assert len(rows) == DEVICES
    best = min(times) * 1000
    print(
        f"device list, {label}, {DEVICES} devices x {BATCHES} batches: {best:.0f} ms"
        f" (budget {BUDGET_MS:.0f} ms) {'ok' if best <= BUDGET_MS else 'OVER'}; load"
        f" {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        measure(init_hub(Path(tmp) / "s", f"sqlite:///{Path(tmp) / 'hub.db'}"), "SQLite")
        with postgres_database() as pg:
            if pg is None:
                print("device list, PostgreSQL: not run (no server)")
            else:
                hub = init_hub(Path(tmp) / "p", pg)
                try:
                    measure(hub, "PostgreSQL")
                finally:
                    hub.engine.dispose()
