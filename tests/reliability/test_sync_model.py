"""A hypothesis state machine of real devices and a real hub, with a bad network in between.

Devices are real encrypted stores; the hub is SQLite behind uvicorn on 127.0.0.1, reached
through the sync tests' fault proxy. Rules capture, sync through faults, lose acks, resend old
batches, deliver batch files out of order, restart devices and jump the clock; once quiet, the
hub must hold exactly the devices' records: none lost, none twice, seqs gap-free per device.
A second machine adds old-copy restores, which must be refused (409), never merged, and then
re-enrol as a new device that sends what the hub never receipted, none of it twice.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from outreach.domain.ids import uuid7
from outreach.errors import SyncError, SyncErrorKind
from outreach.hub import cli as hub_cli
from outreach.hub import db
from outreach.hub.service import Hub
from outreach.store.session import create_store, unlock_store
from outreach.store.store import Store
from outreach.sync import outbox, state
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.files import write_batches
from outreach.sync.reenrol import re_enrol
from outreach.sync.transport import RetryPolicy
from tests.hub.harness import make_hub, serve_in_thread
from tests.sync.conftest import FAST_KDF, PASSPHRASE
from tests.sync.fault_proxy import FaultProxy, Faults, fault_proxy

RETRY = RetryPolicy(attempts=25, initial=0.002, maximum=0.02, timeout=10)
BATCH = 3  # small batches, so a few records make several
STORE_FILES = ("outreach.db", "outreach.db-wal", "outreach.db-shm", "keyslots.json")
FAULTS = ("none", "drop_response", "cut_upload", "server_error", "cut_response", "delay")
# Clock jumps inside what validation accepts (up to a day ahead) and short of the 30-day purge.
OFFSETS = (
    dt.timedelta(0),
    dt.timedelta(hours=20),
    dt.timedelta(days=-1),
    dt.timedelta(days=-7),
    dt.timedelta(days=-20),
)
TOTALS: collections.Counter[str] = collections.Counter()


@dataclass
class World:
    """One hub, its server and the proxy, shared by every example of a test (new devices each)."""

    hub: Hub
    home: Path
    url: str
    proxy: FaultProxy
    root: Path
    names: Iterator[int] = field(default_factory=itertools.count)


@dataclass
class Device:
    name: str
    path: Path
    store: Store
    device_id: str
    captured: dict[int, str] = field(default_factory=dict)  # device seq -> record id
    restored: bool = False


@dataclass
class Snapshot:
    device: Device
    path: Path
    last_seq: int


@contextlib.contextmanager
def make_world(root: Path) -> Iterator[World]:
    home = root / "hub"
    hub = make_hub(home)
    with serve_in_thread(hub) as url, fault_proxy(url, Faults()) as proxy:
        yield World(hub, home, url, proxy, root)
    hub.engine.dispose()


def contact(offset: dt.timedelta) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {
        "type": "contact",
        "id": uuid7(),
        "occurred_at": (now + offset).isoformat(),
        "site": "outreach_van",
        "area": "LS6",
        "setting": "street",
        "age_band": "25_34",
        "substances": ["heroin"],
        "interventions": ["harm_reduction_advice"],
    }


class SyncModel(RuleBasedStateMachine):
    """Devices capture and sync through faults; the hub ends with exactly their records."""

    world: World
    device_count = 2

    def __init__(self) -> None:
        super().__init__()
        self.devices: list[Device] = []
        for _ in range(self.device_count):
            name = f"d{next(self.world.names)}"
            path = self.world.root / name
            store, _ = create_store(path, name, "worker", PASSPHRASE, kdf=FAST_KDF)
            enrol(store, self.world.hub.new_enrolment(self.world.proxy.url).text(), policy=RETRY)
            self.devices.append(Device(name, path, store, store.device_id))
        TOTALS["examples"] += 1

    # -- helpers ---------------------------------------------------------------------------

    def live(self) -> list[Device]:
        return [d for d in self.devices if not d.restored]

    def hub_map(self, device: Device) -> dict[int, str]:
        with self.world.hub.engine.connect() as conn:
            rows = conn.execute(
                sa.select(db.records.c.device_seq, db.records.c.id).where(
                    db.records.c.device_id == device.device_id
                )
            ).all()
        return {int(seq): str(rid) for seq, rid in rows}

    def capture_on(self, device: Device, count: int, offset: dt.timedelta) -> None:
        for _ in range(count):
            record, _changes = device.store.add_new(contact(offset))
            stored = device.store.get(record.id)
            assert stored is not None
            device.captured[stored.device_seq] = record.id
        assert device.store.last_seq() == max(device.captured)

    def sync_through(self, device: Device, fault: str) -> None:
        proxy = self.world.proxy
        if fault == "delay":
            proxy.faults = Faults(delay=0.02)
        elif fault != "none":
            proxy.faults = Faults(**{fault: 0.5}, seed=TOTALS["syncs"])
        before = sum(v for k, v in proxy.counts.items() if k != "pass")
        try:
            result = sync_now(device.store, policy=RETRY, batch_size=BATCH)
        except SyncError as exc:
            # Only the network may give up under faults; anything else is a bug.
            assert exc.kind is SyncErrorKind.NETWORK and fault != "none", exc
            TOTALS["syncs_given_up"] += 1
        else:
            assert result.pending == 0
            assert result.acked_through == device.store.last_seq()
        finally:
            proxy.faults = Faults()
            TOTALS["syncs"] += 1
            TOTALS["faults_injected"] += (
                sum(v for k, v in proxy.counts.items() if k != "pass") - before
            )

    # -- rules -----------------------------------------------------------------------------

    @rule(
        data=st.data(),
        count=st.integers(1, 4),
        offset=st.sampled_from(OFFSETS),
    )
    def capture(self, data: st.DataObject, count: int, offset: dt.timedelta) -> None:
        """Save records, some with the device clock jumped by hours or days."""
        device = data.draw(st.sampled_from(self.live()))
        self.capture_on(device, count, offset)
        TOTALS["records"] += count
        TOTALS["clock_jumps"] += offset != dt.timedelta(0)

    @rule(data=st.data(), fault=st.sampled_from(FAULTS))
    def sync(self, data: st.DataObject, fault: str) -> None:
        """Sync through the proxy dropping responses, cutting uploads, answering 503 or delaying."""
        waiting = [d for d in self.live() if outbox.pending_count(d.store)]
        self.sync_through(data.draw(st.sampled_from(waiting or self.live())), fault)

    @rule(data=st.data())
    def drop_ack(self, data: st.DataObject) -> None:
        """The hub stores the next batch but the device never hears back."""
        device = data.draw(st.sampled_from(self.live()))
        envelope = outbox.next_batch(device.store, state.identity(device.store), BATCH)
        if envelope is None:
            return
        answer = httpx.post(self.world.url + "/v1/batches", content=envelope, timeout=10)
        assert answer.status_code == 200, answer.text
        TOTALS["acks_dropped"] += 1

    @rule(data=st.data())
    def duplicate(self, data: st.DataObject) -> None:
        """A batch the hub already has arrives again: same receipt back, nothing stored twice."""
        device = data.draw(st.sampled_from(self.live()))
        with self.world.hub.engine.connect() as conn:
            rows = conn.execute(
                sa.select(db.batches.c.envelope, db.batches.c.receipt).where(
                    db.batches.c.device_id == device.device_id
                )
            ).all()
        if not rows:
            return
        envelope, receipt = data.draw(st.sampled_from(rows))
        before = self.world.hub.record_total()
        answer = httpx.post(self.world.proxy.url + "/v1/batches", content=envelope, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.content == bytes(receipt)
        assert self.world.hub.record_total() == before
        TOTALS["duplicates_sent"] += 1

    @rule(data=st.data())
    def reorder(self, data: st.DataObject) -> None:
        """Batch files carried by USB are imported with `outreach-hub import`, newest first."""
        device = data.draw(st.sampled_from(self.live()))
        if outbox.pending_count(device.store) < 2 * BATCH:
            return
        directory = self.world.root / f"usb-{device.name}-{TOTALS['reorders']}"
        files = write_batches(device.store, directory, batch_size=BATCH)
        assert len(files) >= 2
        order = data.draw(st.permutations(files).filter(lambda p: p != files))
        with contextlib.redirect_stdout(io.StringIO()):
            code = hub_cli.main(
                [
                    "--home",
                    str(self.world.home),
                    "--db",
                    f"sqlite:///{self.world.home / 'hub.db'}",
                    "import",
                    *map(str, order),
                ]
            )
        assert code == 0
        TOTALS["reorders"] += 1

    @rule(data=st.data())
    def restart(self, data: st.DataObject) -> None:
        """The app is closed and opened again (the store and its outbox come back from disk)."""
        device = data.draw(st.sampled_from(self.live()))
        device.store.close()
        device.store = unlock_store(device.path, device.name, PASSPHRASE)
        TOTALS["restarts"] += 1

    # -- the end -----------------------------------------------------------------------------

    def check_quiet(self) -> None:
        """After a clean sync of every live device: the hub holds exactly their records."""
        seen: set[str] = set()
        for device in self.live():
            self.sync_through(device, "none")
            hub = self.hub_map(device)
            lost = set(device.captured.values()) - set(hub.values())
            TOTALS["lost"] += len(lost)
            assert not lost, f"{device.name}: {len(lost)} records never reached the hub"
            assert hub == device.captured, f"{device.name}: hub seqs differ from the device"
            assert sorted(hub) == list(range(1, len(hub) + 1)), "seqs have gaps"
            stored = dict(device.store.conn.execute("SELECT device_seq, id FROM records"))
            assert stored == device.captured
            assert not seen & set(hub.values())
            seen |= set(hub.values())
        with self.world.hub.engine.connect() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    sa.select(db.records.c.id).where(
                        db.records.c.device_id.in_([d.device_id for d in self.devices])
                    )
                )
            ]
        duplicates = len(ids) - len(set(ids))
        TOTALS["duplicates"] += duplicates
        assert duplicates == 0

    def teardown(self) -> None:
        try:
            self.check_quiet()
        finally:
            for device in self.devices:
                device.store.close()


class RestoreModel(SyncModel):
    """As SyncModel, plus a device restored from an old copy of its files: refused, not merged."""

    device_count = 3

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[Snapshot] = []

    def take_snapshot(self, device: Device) -> None:
        """Copy the store's files as a backup tool would (the app open but idle)."""
        target = self.world.root / f"snap-{device.name}-{len(self.snapshots)}"
        target.mkdir()
        for name in STORE_FILES:
            if (device.path / name).exists():
                shutil.copy2(device.path / name, target / name)
        self.snapshots.append(Snapshot(device, target, device.store.last_seq()))

    @initialize(count=st.integers(1, 2 * BATCH))
    def history(self, count: int) -> None:
        """Device 0 syncs records after a backup, then that backup is restored (later restores
        of other backups are rules)."""
        device = self.devices[0]
        self.capture_on(device, BATCH, dt.timedelta(0))
        self.sync_through(device, "none")
        self.take_snapshot(device)
        self.capture_on(device, BATCH, dt.timedelta(0))
        self.sync_through(device, "none")
        self.restore_from(self.snapshots[0], count)

    @rule(data=st.data())
    def snapshot(self, data: st.DataObject) -> None:
        """Take a backup copy of a device's store files."""
        self.take_snapshot(data.draw(st.sampled_from(self.live())))

    def restorable(self) -> list[Snapshot]:
        return [
            snap
            for snap in self.snapshots
            if not snap.device.restored
            and len(self.live()) > 1
            and max(self.hub_map(snap.device), default=0) > snap.last_seq
        ]

    def restore_from(self, snap: Snapshot, count: int) -> None:
        device = snap.device
        before = self.hub_map(device)
        device.store.close()
        shutil.rmtree(device.path)
        shutil.copytree(snap.path, device.path)
        device.store = unlock_store(device.path, device.name, PASSPHRASE)
        device.restored = True
        device.captured = {s: i for s, i in device.captured.items() if s <= snap.last_seq}
        self.capture_on(device, count, dt.timedelta(0))
        TOTALS["restores"] += 1
        try:
            sync_now(device.store, policy=RETRY, batch_size=BATCH)
        except SyncError as exc:
            outcome: object = exc.kind
        else:
            outcome = "accepted"
        merged = self.hub_map(device) != before
        assert outcome is SyncErrorKind.CONFLICT, f"a restored old copy was {outcome}, not refused"
        TOTALS["conflicts_detected"] += 1
        assert not merged, "records of the restored copy were merged"
        self.re_enrol(device)

    def re_enrol(self, device: Device) -> None:
        """The documented recovery: the restored copy re-enrols as a new device and sends what
        the hub never receipted; every record it holds is then on the hub, none twice."""
        hub = self.world.hub
        held = {row[0] for row in device.store.conn.execute("SELECT id FROM records")}
        before = self.hub_ids()
        re_enrol(device.store, hub.new_enrolment(self.world.proxy.url).text(), policy=RETRY)
        result = sync_now(device.store, policy=RETRY, batch_size=BATCH)
        after = self.hub_ids()
        assert held <= after, "a record of the re-enrolled copy never reached the hub"
        assert len(after) == len(before | held), "a record was stored twice"
        assert result.accepted == len(held - before) and result.quarantined == 0
        assert result.pending == 0
        TOTALS["re_enrolled"] += 1

    def hub_ids(self) -> set[str]:
        with self.world.hub.engine.connect() as conn:
            return {row[0] for row in conn.execute(sa.select(db.records.c.id))}

    @precondition(lambda self: bool(self.restorable()))
    @rule(data=st.data(), count=st.integers(1, 2 * BATCH))
    def restore(self, data: st.DataObject, count: int) -> None:
        """Put an old copy back, record more and sync: the hub must refuse, never merge."""
        self.restore_from(data.draw(st.sampled_from(self.restorable())), count)


def run_model(
    model: type[SyncModel], tmp_path: Path, figures: dict[str, Any], name: str, **limits: int
) -> None:
    TOTALS.clear()
    with make_world(tmp_path) as world:
        model.world = world
        run_state_machine_as_test(
            model,
            settings=settings(
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                **limits,
            ),
        )
    figures[name] = {
        "examples": TOTALS["examples"],
        "steps_max": limits["stateful_step_count"],
        **{key: TOTALS[key] for key in sorted(TOTALS) if key != "examples"},
    }


def test_sync_model(tmp_path: Path, figures: dict[str, Any]) -> None:
    """Capture, sync through faults, lost acks, duplicates, reordered files, restarts, clock
    jumps: once quiet the hub holds every device record exactly once, seqs gap-free."""
    run_model(SyncModel, tmp_path, figures, "sync model", max_examples=10, stateful_step_count=15)


@pytest.mark.soak
def test_sync_model_soak(tmp_path: Path, figures: dict[str, Any]) -> None:
    """The same state machine, many more and longer runs."""
    run_model(
        SyncModel, tmp_path, figures, "sync model (soak)", max_examples=60, stateful_step_count=30
    )


def test_restore_model(tmp_path: Path, figures: dict[str, Any]) -> None:
    """With old-copy restores among the rules, every restore is refused (409) and nothing of
    the restored copy is merged; re-enrolled, it delivers all it holds, none twice; the other
    devices still end exactly in step with the hub."""
    run_model(
        RestoreModel, tmp_path, figures, "restore model", max_examples=5, stateful_step_count=12
    )
