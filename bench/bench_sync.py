"""Sync end to end over loopback vs a raw POST of the same envelope bytes.

A real encrypted device store, a real hub process (SQLite), `sync_now` from nothing synced to all
acked. The raw figure posts the very same sealed envelopes to an ASGI sink that only reads the
body, so the ratio is the price of sealing, verifying, validating and storing.
`BENCH_SYNC_RECORDS` (default 20,000) sets the size.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench.hub_process import hub_process, init_hub, make_records
from outreach.stock.companion import register
from outreach.store.session import create_store
from outreach.store.vault import KdfParams
from outreach.sync import outbox, state
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.transport import SOCKET_OPTIONS

KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)


async def sink(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Read the body, answer 200: the floor for moving the same bytes over HTTP."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def raw_post_seconds(envelopes: list[bytes]) -> float:
    # proto=IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted connections as uvicorn.run does
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(sink, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        transport = httpx.HTTPTransport(socket_options=SOCKET_OPTIONS)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=transport) as client:
            started = time.perf_counter()
            for envelope in envelopes:
                client.post("/v1/batches", content=envelope).raise_for_status()
            return time.perf_counter() - started
    finally:
        server.should_exit = True
        thread.join(5)


def main() -> None:
    register()  # the ledger joins Store.add, as in the app (outreach.store.companions)
    total = int(os.environ.get("BENCH_SYNC_RECORDS", "20000"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hub = init_hub(root / "hub", f"sqlite:///{root / 'hub.db'}")
        with hub_process(root / "hub", f"sqlite:///{root / 'hub.db'}") as url:
            store, _ = create_store(root / "dev", "bench", "worker", "bench passphrase", KDF)
            with store:
                enrol(store, hub.new_enrolment(url).text())
                for start in range(0, total, 10_000):
                    store.add(make_records(min(10_000, total - start)))
                started = time.perf_counter()
                result = sync_now(store)
                e2e = time.perf_counter() - started
                assert result.acked_through == total, result
                envelopes = [
                    bytes(row[0])
                    for row in hub.engine.connect().exec_driver_sql(
                        "SELECT envelope FROM batches ORDER BY first_seq"
                    )
                ]
                store.add(make_records(100))
                started = time.perf_counter()
                sync_now(store)
                day = time.perf_counter() - started
                sealing = time.perf_counter()
                ident = state.identity(store)
                store.add(make_records(outbox.BATCH_SIZE))
                outbox.next_batch(store, ident)
                seal_ms = (time.perf_counter() - sealing) * 1000
        raw = raw_post_seconds(envelopes)
    print(f"records: {total:,} in {len(envelopes)} batches of {outbox.BATCH_SIZE}")
    print(f"sync end to end: {e2e:.2f} s = {total / e2e:,.0f} records/s (budget >= 10,000)")
    print(f"raw POST of the same bytes: {raw:.2f} s = {total / raw:,.0f} records/s")
    print(f"ratio end to end / raw: {e2e / raw:.1f}x")
    print(f"a day's work (100 records) synced in {day * 1000:.0f} ms (budget < 1 s)")
    print(f"add + seal one batch of {outbox.BATCH_SIZE}: {seal_ms:.0f} ms")
