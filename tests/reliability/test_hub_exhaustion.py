"""`make soak`: one enrolled device tries to exhaust a real hub (`outreach-hub serve` on
127.0.0.1) for 60 s with decompression bombs, oversized records, a quarantine flood, made-up
device ids and slow connections, while three honest devices with real encrypted stores sync.
The honest devices lose nothing; the hub process's memory and its database's disk stay under
the caps stated in docs/reliability.md. Every loop is bounded by the deadline."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.errors import SyncError
from outreach.hub.service import Hub
from outreach.store.session import create_store
from outreach.sync import outbox
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.envelope import seal
from tests.hub.harness import BACKENDS, Device, contacts, hub_on, hub_process
from tests.samples import FAST_KDF, PASSPHRASE

SECONDS = float(os.environ.get("OUTREACH_SOAK_SECONDS", "60"))
RSS_CAP_MB = 256  # docs/reliability.md: hub process RSS under attack
DISK_CAP_MB = 64  # docs/reliability.md: database growth in the run (honest data + caps)
SLOW_SOCKETS = 24


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _disk_mb(hub: Hub, home: Path) -> float:
    if hub.sql.postgres:
        with hub.engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
        return int(size or 0) / 2**20
    return sum(p.stat().st_size for p in home.glob("hub.db*")) / 2**20


def _until(deadline: float, step: Callable[[], None]) -> None:
    while time.monotonic() < deadline:
        step()


class Attacker:
    """One enrolled device (and some made-up ones) spending the hub's resources."""

    def __init__(self, hub: Hub, url: str, deadline: float) -> None:
        self.device = Device(hub, "mallory")
        self.url, self.deadline = url, deadline
        self.port = int(url.rsplit(":", 1)[1])
        self.kem = hub.keys.kem.public_key()
        self.answers: Counter[str] = Counter()

    def _post(self, client: httpx.Client, body: bytes, kind: str) -> None:
        try:
            status = client.post("/v1/batches", content=body).status_code
        except httpx.HTTPError:
            status = 0
        self.answers[f"{kind} {status}"] += 1

    def bombs(self) -> None:
        """Batches that expand past the caps, records past the record cap, junk to quarantine."""
        device = self.device
        with httpx.Client(base_url=self.url, timeout=30) as client:
            n = 0

            def step() -> None:
                nonlocal n
                n += 1
                seq = device.seq + 1
                if n % 3 == 0:
                    pairs = [(seq + i, bytes(16_000)) for i in range(300)]  # ~4.6 MB of zeros
                    kind = "bomb"
                elif n % 3 == 1:
                    pairs = [(seq, bytes(64 * 1024))]
                    kind = "record"
                else:
                    pairs = [(seq + i, os.urandom(12_000)) for i in range(8)]
                    kind = "quarantine"
                    device.seq += len(pairs)
                self._post(client, seal(device.name, pairs, self.kem, device.key), kind)

            _until(self.deadline, step)

    def strangers(self) -> None:
        """Uploads under made-up device ids (each once: the limiter must not keep them)."""
        key = Ed25519PrivateKey.generate()
        with httpx.Client(base_url=self.url, timeout=30) as client:
            n = 0

            def step() -> None:
                nonlocal n
                n += 1
                self._post(client, seal(f"stranger-{n}", [(1, b"x")], self.kem, key), "stranger")

            _until(self.deadline, step)

    def slow(self) -> None:
        """Connections that send headers, or a body, a byte at a time; reopened when cut."""
        head = b"POST /v1/batches HTTP/1.1\r\nHost: hub\r\nX-Pad: " + b"a" * 4000
        body_head = b"POST /v1/batches HTTP/1.1\r\nHost: hub\r\nContent-Length: 4000000\r\n\r\n"
        sockets: list[tuple[socket.socket, bytes, int]] = []

        def step() -> None:
            while len(sockets) < SLOW_SOCKETS:
                try:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                except OSError:
                    self.answers["slow connect refused"] += 1
                    break
                sock.setblocking(False)
                first = b"" if len(sockets) % 2 else body_head
                with contextlib.suppress(OSError):
                    sock.sendall(first)
                sockets.append((sock, head if not first else b"\0" * 4_000_000, 0))
                self.answers["slow opened"] += 1
            for i, (sock, drip, sent) in enumerate(list(sockets)):
                try:
                    sock.recv(4096)  # an answer (408) or the end: the hub cut it off
                    raise ConnectionResetError
                except BlockingIOError:
                    pass
                except OSError:
                    sock.close()
                    sockets[i] = (sock, b"", -1)
                    self.answers["slow cut by hub"] += 1
                    continue
                with contextlib.suppress(OSError):
                    sock.send(drip[sent : sent + 1])
                    sockets[i] = (sock, drip, sent + 1)
            sockets[:] = [s for s in sockets if s[2] >= 0]
            time.sleep(1.0)

        try:
            _until(self.deadline, step)
        finally:
            for sock, _, _ in sockets:
                sock.close()


def _honest(
    data: Path, url: str, hub: Hub, deadline: float, results: dict[str, Any], name: str
) -> None:
    """A real device: records 20 contacts, syncs, again until the deadline, then a last sync."""
    store, _ = create_store(data, name, "worker", PASSPHRASE, kdf=FAST_KDF)
    try:
        enrol(store, hub.new_enrolment(url).text())
        made, errors, syncs = 0, 0, 0
        while time.monotonic() < deadline:
            store.add(contacts(20))
            made += 20
            try:
                sync_now(store)
                syncs += 1
            except SyncError:
                errors += 1
            time.sleep(0.2)
        for _ in range(10):  # after the attack: everything pending must go
            with contextlib.suppress(SyncError):
                sync_now(store)
                break
        results[name] = {
            "made": made,
            "pending": outbox.pending_count(store),
            "syncs": syncs,
            "errors": errors,
        }
    finally:
        store.close()


@pytest.mark.soak
@pytest.mark.parametrize("backend", BACKENDS)
def test_one_device_cannot_exhaust_the_hub(
    backend: str, tmp_path: Path, figures: dict[str, Any]
) -> None:
    """60 s of bombs, quarantine flood, made-up ids and slow connections against a served hub
    while 3 honest devices sync: they lose nothing; hub RSS and disk stay under their caps."""
    home = tmp_path / "hub"
    with contextlib.ExitStack() as stack:
        hub = stack.enter_context(hub_on(backend, home))
        url_db = hub.engine.url.render_as_string(hide_password=False)
        db_url = url_db.replace("postgresql+psycopg://", "postgresql://")
        process, url = stack.enter_context(hub_process(home, db_url, rate=50))
        disk_before, rss_before = _disk_mb(hub, home), _rss_mb(process.pid)
        deadline = time.monotonic() + SECONDS
        attacker = Attacker(hub, url, deadline)
        results: dict[str, Any] = {}
        threads = [
            threading.Thread(target=attacker.bombs),
            threading.Thread(target=attacker.strangers),
            threading.Thread(target=attacker.slow),
        ] + [
            threading.Thread(
                target=_honest,
                args=(tmp_path / f"device-{n}", url, hub, deadline, results, f"honest-{n}"),
            )
            for n in range(3)
        ]
        for n in range(3):
            (tmp_path / f"device-{n}").mkdir()
        for thread in threads:
            thread.start()
        peak_rss, health_worst = rss_before, 0.0
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline + 120:
            peak_rss = max(peak_rss, _rss_mb(process.pid))
            started = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url + "/v1/health", timeout=10)
            health_worst = max(health_worst, time.monotonic() - started)
            time.sleep(0.5)
        for thread in threads:
            thread.join(30)
        disk_after = _disk_mb(hub, home)
        with hub.engine.connect() as conn:
            stored = dict(
                conn.exec_driver_sql(
                    "SELECT device_id, count(*) FROM records GROUP BY device_id"
                ).all()
            )
            quarantined = conn.exec_driver_sql(
                "SELECT coalesce(sum(length(body)), 0) FROM quarantine"
            ).scalar()
            alerts = conn.execute(sa.text("SELECT count(*) FROM alerts")).scalar()
        figures[f"hub exhaustion ({backend}, {SECONDS:.0f} s)"] = {
            "honest_records": sum(r["made"] for r in results.values()),
            "honest_sync_errors": sum(r["errors"] for r in results.values()),
            "attack": dict(sorted(attacker.answers.items())),
            "rss_mb": f"{rss_before:.0f}->{peak_rss:.0f} (cap {RSS_CAP_MB})",
            "disk_mb": f"{disk_before:.1f}->{disk_after:.1f} (cap +{DISK_CAP_MB})",
            "quarantine_bytes": quarantined,
            "alerts": alerts,
            "health_worst_s": round(health_worst, 2),
        }
        assert len(results) == 3, results
        honest_stored = sum(v for k, v in stored.items() if k != "mallory")
        assert all(r["pending"] == 0 for r in results.values()), results
        assert honest_stored == sum(r["made"] for r in results.values()), (stored, results)
        assert peak_rss < RSS_CAP_MB
        assert disk_after - disk_before < DISK_CAP_MB
        assert quarantined <= 1024 * 1024
        assert stored.get("mallory", 0) == 0
