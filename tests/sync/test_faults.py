"""Exactly once over a bad network: our fault proxy between real devices and a real hub."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from outreach.hub import db
from outreach.hub.keys import load_keys
from outreach.hub.service import Hub
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync import outbox, state
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.transport import RetryPolicy
from tests.hub.harness import contacts, make_hub, serve_in_process
from tests.sync.conftest import FAST_KDF, PASSPHRASE
from tests.sync.fault_proxy import Faults, fault_proxy

FAST_RETRY = RetryPolicy(attempts=40, initial=0.005, maximum=0.05, timeout=30)


@pytest.mark.parametrize(
    ("fault", "stored"),
    [("drop_response", 4), ("cut_upload", 0), ("server_error", 0), ("cut_response", 4)],
)
def test_each_fault_does_what_it_says(
    enrolled: Store, hub: Hub, hub_url: str, fault: str, stored: int
) -> None:
    """The proxy's faults reach the client as errors; only some of them reach the hub."""
    enrolled.add(contacts(4))
    envelope = outbox.next_batch(enrolled, state.identity(enrolled))
    with fault_proxy(hub_url, Faults(**{fault: 1.0})) as proxy:
        answer = None
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.post(proxy.url + "/v1/batches", content=envelope, timeout=10)
        assert proxy.counts[fault] == 1
    if fault == "server_error":
        assert answer is not None and answer.status_code == 503
    else:
        assert answer is None
    assert hub.record_total() == stored


def _device(root: Path, name: str, code: str, count: int, results: dict[str, object]) -> None:
    """One device on its own thread: its store lives and dies here."""
    try:
        store, _ = create_store(root / name, name, "worker", PASSPHRASE, kdf=FAST_KDF)
        with store:
            for start in range(0, count, 5000):
                store.add(contacts(min(5000, count - start)))
            enrol(store, code, policy=FAST_RETRY)
            results[name] = (store.device_id, sync_now(store, policy=FAST_RETRY, batch_size=250))
    except BaseException as exc:  # noqa: BLE001 - reported to the test thread
        results[name] = exc


def run_acceptance(tmp_path: Path, devices: int, per_device: int) -> None:
    home = tmp_path / "hub"
    make_hub(home).engine.dispose()
    db_url = f"sqlite:///{home / 'hub.db'}"
    hub = Hub(db.make_engine(db_url), load_keys(home))
    faults = Faults(drop_response=0.3, cut_upload=0.1, seed=7)
    with serve_in_process(home, db_url) as url, fault_proxy(url, faults) as proxy:
        codes = [hub.new_enrolment(proxy.url).text() for _ in range(devices)]
        results: dict[str, object] = {}
        threads = [
            threading.Thread(
                target=_device, args=(tmp_path, f"d{i}", codes[i], per_device, results)
            )
            for i in range(devices)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        counts = dict(proxy.counts)
    failures = [r for r in results.values() if isinstance(r, BaseException)]
    assert not failures, failures
    assert counts["drop_response"] > 0 and counts["cut_upload"] > 0
    with hub.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(db.records)).scalar_one()
        per = conn.execute(
            sa.select(
                db.records.c.device_id,
                sa.func.count(),
                sa.func.count(sa.distinct(db.records.c.device_seq)),
                sa.func.min(db.records.c.device_seq),
                sa.func.max(db.records.c.device_seq),
            ).group_by(db.records.c.device_id)
        ).all()
    hub.engine.dispose()
    assert total == devices * per_device
    assert sorted(row[1:] for row in per) == [(per_device, per_device, 1, per_device)] * devices
    for device_id, result in results.values():  # type: ignore[misc]
        assert result.acked_through == per_device and result.pending == 0
        assert any(row[0] == device_id for row in per)
    print(f"\n{devices}x{per_device} records through faults {counts} in {elapsed:.1f} s")


def test_three_devices_through_a_bad_network(tmp_path: Path) -> None:
    """3 x 10,000 records, 30% of responses dropped, 10% of uploads cut: exactly 30,000 arrive."""
    run_acceptance(tmp_path, 3, 10_000)
