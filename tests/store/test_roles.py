"""Roles in the store API: every role × record type × action, against real encrypted stores.

The expected grants are written out here, not read from the declaration, so a change to a record
type's ACCESS that nobody meant shows up as a failure.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outreach.errors import NotPermitted
from outreach.records import StockMovement
from outreach.records.validation import build_record
from outreach.reports.commissioner import store_counts
from outreach.store.session import add_user, create_store, unlock_store
from outreach.store.store import Store
from tests.samples import CONTACT, FAST_KDF, KIT, NALOXONE_USE, PASSPHRASE

STOCK = {
    "type": "stock_movement",
    "site": "pharmacy",
    "product": "nyxoid_1_8mg_nasal",
    "batch": "ST1",
    "expiry": "2030-05-31",
    "quantity": 50,
    "movement": "received",
}
SAMPLES: dict[str, dict[str, Any]] = {
    "contact": {**CONTACT, "age_band": "25_34"},  # something recorded: an empty one is refused
    "kit_issue": KIT,
    "naloxone_use": NALOXONE_USE,
    "stock_movement": STOCK,
    "overdose_event": {  # issue 15 (referral outcomes differ per action: tests/records)
        "type": "overdose_event",
        "site": "outreach_van",
        "area": "LS6",
        "occurred_on": "2026-01-08",
        "location_type": "street",
        "outcome": "survived",
    },
}
USERS = {"worker": "wendy", "pharmacy": "phil", "coordinator": "cora"}
EVERY_TYPE = frozenset(SAMPLES)
# What a real service expects (docs/decisions.md, "Roles"): the same grants for record, read, void.
GRANTED = {
    "worker": frozenset({"contact", "kit_issue", "naloxone_use", "overdose_event"}),
    "pharmacy": frozenset({"kit_issue", "naloxone_use", "stock_movement"}),
    "coordinator": EVERY_TYPE,
}
MATRIX = list(itertools.product(USERS, sorted(SAMPLES)))
WIDE = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def make_device(data_dir: Path) -> Path:
    """One store with a user of each role; the coordinator made it and added the others."""
    store, _ = create_store(data_dir, USERS["coordinator"], "coordinator", PASSPHRASE, FAST_KDF)
    store.close()
    for role in ("worker", "pharmacy"):
        add_user(
            data_dir, USERS["coordinator"], PASSPHRASE, USERS[role], role, PASSPHRASE, FAST_KDF
        )
    return data_dir


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store with a user of each role."""
    return make_device(tmp_path_factory.mktemp("roles"))


def open_as(device: Path, role: str) -> Store:
    return unlock_store(device, USERS[role], PASSPHRASE)


@pytest.fixture
def seeded(device: Path) -> Iterator[dict[str, str]]:
    """A fresh record of each type, recorded by the coordinator: {type: id}."""
    with open_as(device, "coordinator") as store:
        yield {kind: store.add_new(dict(data))[0].id for kind, data in SAMPLES.items()}


@pytest.mark.parametrize(("role", "kind"), MATRIX)
def test_record(device: Path, role: str, kind: str) -> None:
    """A role records a type only if granted; a refusal saves nothing."""
    with open_as(device, role) as store:
        before = store.record_count()
        record = build_record(dict(SAMPLES[kind]), recorded_by=store.user)
        if kind in GRANTED[role]:
            store.add([record])
            assert store.get(record.id) is not None
        else:
            with pytest.raises(NotPermitted, match="may not record"):
                store.add([record])
            assert store.record_count() == before


@pytest.mark.parametrize(("role", "kind"), MATRIX)
def test_read(device: Path, seeded: dict[str, str], role: str, kind: str) -> None:
    """A role lists, gets and counts a type only if granted; unfiltered lists leave it out."""
    with open_as(device, role) as store:
        listed = {stored.record.id for stored in store.recent(limit=10_000)}
        if kind in GRANTED[role]:
            assert seeded[kind] in listed
            assert seeded[kind] in {s.record.id for s in store.recent(types=[kind], limit=10_000)}
            assert store.get(seeded[kind]) is not None
            assert sum(row["count"] for row in store.counts([], *WIDE, kind)) >= 1
        else:
            assert seeded[kind] not in listed
            with pytest.raises(NotPermitted, match="may not see"):
                store.recent(types=[kind])
            with pytest.raises(NotPermitted):
                store.get(seeded[kind])
            with pytest.raises(NotPermitted):
                store.counts([], *WIDE, kind)


@pytest.mark.parametrize(("role", "kind"), MATRIX)
def test_void(device: Path, seeded: dict[str, str], role: str, kind: str) -> None:
    """A role voids (or corrects) a type only if granted; a refusal leaves the record active."""
    with open_as(device, role) as store:
        target = seeded[kind]
        correction = build_record({**SAMPLES[kind], "supersedes": target}, recorded_by=store.user)
        if kind in GRANTED[role]:
            store.void(target, "entered_in_error")
            assert not store.get(target).active  # type: ignore[union-attr]
        else:
            with pytest.raises(NotPermitted, match="may not void"):
                store.void(target, "entered_in_error")
            with pytest.raises(NotPermitted):
                store.add([correction])
    with open_as(device, "coordinator") as store:
        assert store.get(target).active is (kind not in GRANTED[role])  # type: ignore[union-attr]


def test_voids_are_read_with_their_target(device: Path, seeded: dict[str, str]) -> None:
    """A void shows only to roles that may read what it voided."""
    with open_as(device, "coordinator") as store:
        store.void(seeded["contact"], "entered_in_error")
        void_id = store.recent(types=["void"], limit=1)[0].record.id
    with open_as(device, "pharmacy") as store:
        assert void_id not in {s.record.id for s in store.recent(limit=10_000)}
        with pytest.raises(NotPermitted):
            store.get(void_id)
    with open_as(device, "worker") as store:
        assert store.get(void_id) is not None


@pytest.mark.parametrize("role", list(USERS))
def test_client_history_needs_every_type_with_a_client_code(device: Path, role: str) -> None:
    """Looking a client up by code is for roles that may read contacts and kits alike."""
    with open_as(device, role) as store:
        if role == "pharmacy":
            with pytest.raises(NotPermitted, match="client's history"):
                store.recent(client_code="ABCDEFGHJK1")
        else:
            store.recent(client_code="ABCDEFGHJK1")


@pytest.mark.parametrize("role", list(USERS))
def test_export_counts_need_every_counted_type(device: Path, role: str) -> None:
    """The commissioner count set (contacts, kits, uses) is refused to a pharmacy user."""
    with open_as(device, role) as store:
        if role == "pharmacy":
            with pytest.raises(NotPermitted, match="may not see contacts"):
                store_counts(store, *WIDE)
        else:
            assert store_counts(store, *WIDE) is not None


def test_companion_writes_still_work(tmp_path: Path) -> None:
    """A worker's kit at a ledger site writes its `issued` movement, and voiding the kit voids
    it, though a worker may not record or void stock movements directly."""
    store, _ = create_store(tmp_path, "cora", "coordinator", PASSPHRASE, FAST_KDF)
    store.add_new({**STOCK, "site": "outreach_van"})
    store.close()
    add_user(tmp_path, "cora", PASSPHRASE, "wendy", "worker", PASSPHRASE, FAST_KDF)
    with unlock_store(tmp_path, "wendy", PASSPHRASE) as store:
        kit, changes = store.add_new({**KIT, "site": "outreach_van", "batch": "ST1"})
        assert "stock_movement" in changes.types
        store.void(kit.id, "entered_in_error")
    with unlock_store(tmp_path, "cora", PASSPHRASE) as store:
        movements = [s for s in store.recent(types=["stock_movement"]) if s.record.id != kit.id]
        issued = [s for s in movements if isinstance(s.record, StockMovement)]
        assert [s.record.movement for s in issued if isinstance(s.record, StockMovement)] == [
            "issued",
            "received",
        ]
        assert not issued[0].active


def test_pharmacy_kit_with_its_naloxone_use_saves(device: Path) -> None:
    """A pharmacy's resupply-for-use (kit, its use report, its ledger movement) is permitted."""
    with open_as(device, "pharmacy") as store:
        kit = build_record({**KIT, "site": "pharmacy", "batch": "ST1"}, recorded_by=store.user)
        use = build_record({**NALOXONE_USE, "kit_issue_id": kit.id}, recorded_by=store.user)
        changes = store.add([kit, use])
        assert changes.types == {"kit_issue", "naloxone_use", "stock_movement"}


def test_a_limited_list_skips_voids_of_unreadable_types(tmp_path: Path) -> None:
    """`recent(limit=n)` gives n readable records even when the newest are voids of contacts."""
    store, _ = create_store(tmp_path, "cora", "coordinator", PASSPHRASE, FAST_KDF)
    with store:
        kits = [store.add_new(dict(KIT))[0].id for _ in range(3)]
        for _ in range(100):
            contact, _ = store.add_new(dict(CONTACT))
            store.void(contact.id, "entered_in_error")
    add_user(tmp_path, "cora", PASSPHRASE, "phil", "pharmacy", PASSPHRASE, FAST_KDF)
    with unlock_store(tmp_path, "phil", PASSPHRASE) as pharmacy:
        assert [s.record.id for s in pharmacy.recent(limit=2)] == kits[:0:-1]
        assert len(pharmacy.recent(limit=10)) == 3
