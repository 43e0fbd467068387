"""The served hub's caps on both backends: clear 400s for bad headers and seqs, rate-limiter
state, heavy work off the event loop, concurrent ingest, header and body deadlines, and the
`import` command's per-file results."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient

from outreach.hub.app import create_app
from outreach.hub.ratelimit import RateLimiter
from outreach.hub.service import Hub
from outreach.records import encode_record
from outreach.sync import protocol as proto
from outreach.sync.envelope import seal
from tests.hub.harness import (
    BACKENDS,
    Device,
    contact,
    hub_on,
    make_hub,
    postgres_database,
    serve_in_process,
    serve_in_thread,
)

INGEST_CAP = {"sqlite": 2, "postgresql": 8}  # limits.INGEST_CONCURRENCY, as documented


@pytest.fixture(params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    with hub_on(request.param, tmp_path / "hub") as hub:
        yield hub


def raw(device: Device, bodies: list[bytes], first: int | None = None) -> bytes:
    first = device.seq + 1 if first is None else first
    device.seq = max(device.seq, first + len(bodies) - 1)
    pairs = [(first + i, body) for i, body in enumerate(bodies)]
    return seal(device.name, pairs, device.hub.keys.kem.public_key(), device.key)


def signed_headers(device: Device, stamp: str) -> dict[str, str | bytes]:
    message = proto.request_message("GET", "/v1/reference", device.name, 0)
    return {
        proto.DEVICE_HEADER: device.name,
        proto.TIME_HEADER: stamp.encode(),  # UTF-8 on the wire
        proto.SIGNATURE_HEADER: proto.b64e(device.key.sign(message)),
    }


@pytest.mark.parametrize("stamp", ["--5", "-", "١٢٣", "²", "5" * 5000, "1e9", "1 2", "+5"])
def test_a_malformed_request_time_is_a_clear_400(hub: Hub, stamp: str) -> None:
    """X-Outreach-Time that is not ASCII digits (or is 5,000 of them) is a 400, never a 500."""
    device = Device(hub, "dev")
    with serve_in_thread(hub) as url:
        headers = signed_headers(device, stamp)
        answer = httpx.get(url + "/v1/reference", headers=headers)
    assert answer.status_code == 400, answer.text
    assert "X-Outreach-Time" in answer.json()["detail"]


@pytest.mark.parametrize("first", [0, -1, 2**63, 2**64 - 2])
def test_a_batch_seq_out_of_range_is_a_clear_400(hub: Hub, first: int) -> None:
    """A batch whose seqs are ≤ 0 or ≥ 2^63 is a 400 over HTTP on both backends."""
    device = Device(hub, "dev")
    envelope = raw(device, [encode_record(contact(1))], first=first)
    with serve_in_thread(hub) as url:
        answer = httpx.post(url + "/v1/batches", content=envelope)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_envelope", answer.text


def test_made_up_device_ids_get_no_rate_limiter_entry(tmp_path: Path) -> None:
    """2,000 uploads under random device ids are refused without a limiter bucket each; an
    enrolled device that signs its batch gets one."""
    hub = make_hub(tmp_path / "hub")
    app = create_app(hub, rate=50, burst=200)
    key = Ed25519PrivateKey.generate()
    kem = hub.keys.kem.public_key()
    with TestClient(app, raise_server_exceptions=False) as client:
        for n in range(2000):
            envelope = seal(f"nobody-{n}", [(1, b"x")], kem, key)
            assert client.post("/v1/batches", content=envelope).status_code == 403
        assert len(app.state.limiter) == 0
        device = Device(hub, "real")
        forged = seal("real", [(1, b"x")], kem, key)  # the real id, someone else's key
        assert client.post("/v1/batches", content=forged).status_code == 400
        assert len(app.state.limiter) == 0
        assert client.post("/v1/batches", content=device.batch([contact(1)])).status_code == 200
        assert len(app.state.limiter) == 1


def test_the_rate_limiter_keeps_only_its_most_recent_entries() -> None:
    """Past its entry cap the limiter drops the least recently used bucket, not the newest."""
    limiter = RateLimiter(rate=1, burst=2, entries=100)
    for n in range(1000):
        limiter.allow(f"device-{n}", now=0.0)
        if n % 50 == 0:
            limiter.allow("busy", now=0.0)
    assert len(limiter) == 100
    assert limiter.allow("busy", now=0.0) > 0  # its bucket was kept (and is empty)
    assert limiter.allow("device-0", now=0.0) == 0  # dropped: starts full again


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_a_batch_that_expands_is_checked_off_the_event_loop(hub: Hub) -> None:
    """A small upload whose records decompress to megabytes is validated in a worker thread,
    so the event loop keeps answering; a small plain batch still runs on the loop."""
    where: list[bool] = []
    check = hub._check

    def watched(pairs: Any) -> Any:
        where.append(_on_event_loop())
        return check(pairs)

    hub._check = watched  # type: ignore[method-assign]
    device = Device(hub, "dev")
    expands = raw(device, [bytes(15 * 1024)] * 60 + [encode_record(contact(1))])
    assert len(expands) < 16 * 1024
    with serve_in_thread(hub) as url:
        answer = httpx.post(url + "/v1/batches", content=expands, timeout=30)
        assert answer.status_code == 200, answer.text
        assert where == [False]
        small = device.batch([contact(2)])
        assert httpx.post(url + "/v1/batches", content=small).status_code == 200
        assert where == [False, True]


def test_health_answers_while_the_sqlite_writer_is_busy(tmp_path: Path) -> None:
    """While another writer holds SQLite, a small upload waits in a thread, not on the event
    loop: /v1/health answers meanwhile, and the upload is stored once the writer is free."""
    hub = make_hub(tmp_path / "hub")
    device = Device(hub, "dev")
    assert hub._write_lock is not None
    with serve_in_thread(hub) as url, concurrent.futures.ThreadPoolExecutor(1) as pool:
        with hub._write_lock.held():
            upload = pool.submit(httpx.post, url + "/v1/batches", content=device.batch([contact()]))
            time.sleep(0.5)  # the upload reaches the writer and waits
            assert not upload.done()
            assert httpx.get(url + "/v1/health", timeout=5).status_code == 200
        assert upload.result(30).status_code == 200


def test_concurrent_ingest_is_capped_on_every_backend(hub: Hub) -> None:
    """Sixteen large uploads at once: no more batches are checked at the same time than the
    backend's cap (PostgreSQL once ran one thread per upload)."""
    busy, most = 0, 0
    lock = threading.Lock()
    check = hub._check

    def slow(pairs: Any) -> Any:
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
        time.sleep(0.3)
        try:
            return check(pairs)
        finally:
            with lock:
                busy -= 1

    hub._check = slow  # type: ignore[method-assign]
    devices = [Device(hub, f"dev-{n}") for n in range(16)]
    uploads = [raw(d, [os.urandom(15 * 1024) for _ in range(20)]) for d in devices]
    assert all(len(u) > 256 * 1024 for u in uploads)
    with serve_in_thread(hub) as url, concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(
            pool.map(
                lambda body: httpx.post(url + "/v1/batches", content=body, timeout=60), uploads
            )
        )
    assert [a.status_code for a in answers] == [200] * 16
    assert 1 < most <= INGEST_CAP[hub.engine.dialect.name], most


# -- header and body deadlines (`outreach-hub serve`) ----------------------------------------


@contextlib.contextmanager
def served(tmp_path: Path, *args: str) -> Iterator[str]:
    home = tmp_path / "hub"
    make_hub(home).engine.dispose()
    with serve_in_process(home, f"sqlite:///{home / 'hub.db'}", args=args) as url:
        yield url


def _closed_within(sock: socket.socket, seconds: float, drip: bytes = b"") -> bool:
    """Whether the hub closes `sock` within `seconds` while we send `drip` a byte at a time."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.25)
    sent = 0
    while time.monotonic() < deadline:
        try:
            if sent < len(drip):
                sock.sendall(drip[sent : sent + 1])
                sent += 1
            data = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            return True
        if data == b"" or b"408" in data:
            return True
    return False


def test_slow_request_headers_are_cut_off(tmp_path: Path) -> None:
    """A client that sends its headers a byte at a time is disconnected after the header
    timeout; a normal request on a fresh connection is served."""
    with served(tmp_path, "--header-timeout", "1") as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            drip = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
            assert _closed_within(sock, 6, drip)
        assert httpx.get(url + "/v1/health").status_code == 200


def test_a_slow_request_body_is_refused(tmp_path: Path) -> None:
    """A body that arrives slower than its deadline gets 408 and the connection is freed."""
    with served(tmp_path) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nOXB")
            assert _closed_within(sock, 12)
        assert httpx.get(url + "/v1/health").status_code == 200


# -- outreach-hub import ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_import_reports_each_file_and_keeps_the_good_ones(backend: str, tmp_path: Path) -> None:
    """A bad file among good ones (seq 2^63, missing, garbage): one result per file in order,
    a clear message, exit 1, no traceback; the good files are stored."""
    with contextlib.ExitStack() as stack:
        home = tmp_path / "hub"
        url = None if backend == "sqlite" else stack.enter_context(postgres_database())
        hub = make_hub(home, url)
        device = Device(hub, "dev")
        files = {
            "good-1": device.batch([contact(1)]),
            "huge-seq": raw(device, [encode_record(contact(2))], first=2**63),
            "garbage": b"not a batch",
            "good-2": raw(device, [encode_record(contact(3))], first=2),
        }
        paths = []
        for name, body in files.items():
            path = tmp_path / f"{name}.oxb"
            path.write_bytes(body)
            paths.append(str(path))
        paths.insert(2, str(tmp_path / "missing.oxb"))
        huge = tmp_path / "huge.oxb"
        with huge.open("wb") as handle:
            handle.truncate(64 * 1024 * 1024)  # sparse: must be refused without reading it
        paths.insert(3, str(huge))
        db_url = url or f"sqlite:///{home / 'hub.db'}"
        code = "from outreach.hub.cli import main; raise SystemExit(main())"
        result = subprocess.run(
            [sys.executable, "-c", code, "--home", str(home), "--db", db_url, "import", *paths],
            capture_output=True,
            text=True,
            timeout=120,
        )
        hub.engine.dispose()
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "4 of 6 files were not imported" in result.stderr
        results = json.loads(result.stdout)
        assert [Path(r["file"]).stem for r in results] == [
            "good-1",
            "huge-seq",
            "missing",
            "huge",
            "garbage",
            "good-2",
        ]
        assert [("error" in r) for r in results] == [False, True, True, True, True, False]
        assert "seqs must be" in results[1]["error"]
        assert "larger than a batch" in results[3]["error"]
        assert results[5]["acked_through"] == 2
        assert hub.record_total() == 2
