"""Records are counted in the transaction that stores them: no lag, voids in any order, and
no void lost to a concurrent upload of its target (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from outreach.hub import db
from outreach.hub.service import Hub
from tests.hub.harness import (
    BACKENDS,
    NOW,
    Device,
    as_before_migrations,
    contacts,
    hub_on,
    list_items,
    void,
)


def active(hub: Hub) -> dict[str, int]:
    with hub.engine.connect() as conn:
        return dict(conn.execute(sa.select(db.facts.c.id, db.facts.c.active)).all())


@pytest.fixture(params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    with hub_on(request.param, tmp_path / "hub") as hub:
        yield hub


def test_facts_are_there_when_the_receipt_is(hub: Hub) -> None:
    """A receipt means the records are counted: nothing waits in a queue."""
    device = Device(hub, "dev-a")
    hub.ingest(device.batch(contacts(30)))
    with hub.engine.connect() as conn:
        queued = conn.execute(sa.select(sa.func.count()).select_from(db.pending_facts)).scalar()
    assert queued == 0 and len(active(hub)) == 30 and list_items(hub)


def test_a_void_retires_its_target_whichever_arrives_first(hub: Hub) -> None:
    """Void after its target, and void (another device's USB file) before its target."""
    first, second = Device(hub, "dev-a"), Device(hub, "dev-b")
    early, late = contacts(2)
    hub.ingest(first.batch([early]))
    hub.ingest(second.batch([void(early.id), void(late.id)]))
    hub.ingest(first.batch([late]))
    assert active(hub) == {early.id: 0, late.id: 0}


def test_ids_that_want_the_same_fact_key_get_their_own(hub: Hub) -> None:
    """Fact keys are the first bits of record ids; ids sharing them (same millisecond and
    counter on two devices) still get one facts row each, in one batch or across batches."""
    base = contacts(5)
    head = base[0].id[:19]  # time, version and counter: all that fact_key reads
    same = [msgspec.structs.replace(r, id=head + r.id[19:]) for r in base]
    assert len({db.fact_key(r.id) for r in same}) == 1 and len({r.id for r in same}) == 5
    first, second = Device(hub, "dev-a"), Device(hub, "dev-b")
    hub.ingest(first.batch(same[:3]))
    hub.ingest(second.batch(same[3:]))
    with hub.engine.connect() as conn:
        keys = conn.execute(sa.select(db.facts.c.fact)).scalars().all()
    assert len(set(keys)) == 5 and {fact for fact, _, _ in list_items(hub)} == set(keys)
    assert active(hub) == {r.id: 1 for r in same}


def test_queued_records_of_an_older_hub_are_counted(hub: Hub) -> None:
    """Rows left in pending_facts by a hub that projected later are projected when it is
    upgraded (never at count time)."""
    device = Device(hub, "dev-a")
    hub.ingest(device.batch(contacts(5)))
    with hub.engine.begin() as conn:  # as an older hub left them: stored, not yet projected
        conn.execute(sa.delete(db.fact_items))
        conn.execute(sa.delete(db.facts))
        conn.execute(sa.insert(db.pending_facts).from_select(["id"], sa.select(db.records.c.id)))
    day = NOW.date()
    span = (day - dt.timedelta(days=1), day + dt.timedelta(days=1))
    assert hub.counts(["setting"], *span) == []  # counting upgrades nothing
    as_before_migrations(hub)
    hub.upgrade()
    rows = hub.counts(["setting"], day - dt.timedelta(days=1), day + dt.timedelta(days=1))
    assert sum(row["count"] for row in rows) == 5
    assert hub.project_pending() == 0


@pytest.mark.postgres
def test_concurrent_void_and_target_on_postgres(pg_hub: Hub) -> None:
    """Targets and their voids uploaded at the same moment by two devices: every target ends
    up retired (without the projection lock, transactions that overlap miss each other)."""
    targets = contacts(40)
    pairs = []
    for n, target in enumerate(targets):
        first, second = Device(pg_hub, f"t-{n}"), Device(pg_hub, f"v-{n}")
        pairs.append((first.batch([target]), second.batch([void(target.id)])))
    errors: list[BaseException] = []

    def upload(envelope: bytes, start: threading.Barrier) -> None:
        start.wait()
        try:
            pg_hub.ingest(envelope)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    for target_batch, void_batch in pairs:
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=upload, args=(envelope, start))
            for envelope in (target_batch, void_batch)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert active(pg_hub) == {target.id: 0 for target in targets}
