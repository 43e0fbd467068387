"""Hub ingest: batches/s of 100 records with 8 devices uploading at once, SQLite and PostgreSQL.

Envelopes are sealed beforehand (devices enrolled straight through `Hub.enrol`), so the figure is
the hub's: HTTP, signature, HPKE, validation, projection and storage. The hub runs as its own
process, the 8 uploaders are threads here, each a plain keep-alive HTTP/1.1 connection
(`upload`): devices are not on the hub's machine, and httpx (the app's client) spent ~2 ms of
this two-core machine's CPU per batch, a fifth of what the hub had. The end-to-end sync
benchmark keeps the real client.

Each device's first `WARM_UP` batches go up before the clock starts, all devices at once: the
hub's connection pools grow on demand, and each new PostgreSQL connection plans the batch
function's statements on its first calls. In a short run that start-up was a tenth of the
time; the budget is about the steady state. `BENCH_HUB_BATCHES` per device (default 100).
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.hub_process import hub_process, init_hub, make_records, postgres_database
from outreach.hub.service import Hub
from outreach.records import encode_record
from outreach.sync.envelope import raw_public, seal
from outreach.sync.protocol import EnrolRequest, b64e

DEVICES = 8
PER_BATCH = 100
WARM_UP = 5
# The budget is for the hub as served here: a worker per core (`serve --workers 2`). One worker
# is one Python process on one core, reported beside it.
WORKERS = 2
BUDGET = "budget >= 200"
ALONE = "one process, reported"


def sealed_batches(hub: Hub, batches: int) -> list[list[bytes]]:
    """Each device's envelopes, in seq order."""
    result = []
    for index in range(DEVICES):
        key = Ed25519PrivateKey.generate()
        device_id = f"bench-device-{index}"
        code = hub.new_enrolment("http://127.0.0.1")
        hub.enrol(EnrolRequest(code.token, device_id, b64e(raw_public(key.public_key()))))
        bodies = [encode_record(r) for r in make_records(batches * PER_BATCH)]
        envelopes = []
        for b in range(batches):
            pairs = [(b * PER_BATCH + i + 1, bodies[b * PER_BATCH + i]) for i in range(PER_BATCH)]
            envelopes.append(seal(device_id, pairs, hub.keys.kem.public_key(), key))
        result.append(envelopes)
    return result


def upload(url: str, envelopes: list[bytes], errors: list[str]) -> None:
    """POST each envelope on one keep-alive connection, as a load generator does: the request
    bytes made up front, the answer read by its Content-Length (http.client parsed every
    answer's headers with the email package: ~0.3 ms of CPU a batch)."""
    address = urllib.parse.urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        answers = sock.makefile("rb")
        for envelope in envelopes:
            head = (
                f"POST /v1/batches HTTP/1.1\r\nHost: {address.netloc}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {len(envelope)}\r\n\r\n"
            )
            sock.sendall(head.encode() + envelope)
            status, body = _read_answer(answers)
            if status != 200:
                errors.append(f"{status} {body[:100]!r}")


def _read_answer(answers: Any) -> tuple[int, bytes]:
    status = int(answers.readline().split()[1])
    length = 0
    while (line := answers.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, answers.read(length)


def run(root: Path, db_url: str, label: str, batches: int, workers: int = 1) -> None:
    hub = init_hub(root / f"{label}-{workers}", db_url)
    per_device = sealed_batches(hub, batches)
    errors: list[str] = []
    with hub_process(root / f"{label}-{workers}", db_url, workers) as url:
        upload_all(url, [envelopes[:WARM_UP] for envelopes in per_device], errors)
        started = time.perf_counter()
        upload_all(url, [envelopes[WARM_UP:] for envelopes in per_device], errors)
        elapsed = time.perf_counter() - started
    total = hub.record_total()
    hub.engine.dispose()
    assert not errors and total == DEVICES * batches * PER_BATCH, (errors[:3], total)
    count = DEVICES * (batches - WARM_UP)
    print(
        f"{label}, {workers} worker(s): {count} batches of {PER_BATCH} from {DEVICES} devices "
        f"in {elapsed:.2f} s = {count / elapsed:,.0f} batches/s "
        f"({count * PER_BATCH / elapsed:,.0f} records/s; {BUDGET if workers == WORKERS else ALONE})"
    )


def upload_all(url: str, per_device: list[list[bytes]], errors: list[str]) -> None:
    """Each device's envelopes in order, all devices at once."""
    threads = [threading.Thread(target=upload, args=(url, e, errors)) for e in per_device]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    batches = max(int(os.environ.get("BENCH_HUB_BATCHES", "100")), WARM_UP + 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for workers in (1, WORKERS):
            run(root, f"sqlite:///{root / f'hub{workers}.db'}", "sqlite", batches, workers)
            with postgres_database() as pg_url:
                if pg_url is None:
                    print("postgresql: no server on 127.0.0.1:5432, skipped")
                else:
                    run(root, pg_url, "postgresql", batches, workers)
