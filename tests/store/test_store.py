"""The encrypted store: nothing in clear on disk, tamper detected, all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from outreach.errors import InvalidRecord, StoreCorrupt, VaultLocked
from outreach.records.validation import build_record
from outreach.store.counts import counts
from outreach.store.session import unlock_store
from outreach.store.store import Store
from tests.samples import CONTACT, KIT, PASSPHRASE

ALL_TIME = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def test_canary_never_appears_in_clear_in_store_wal_or_shm(store: Store, data_dir: Path) -> None:
    """Recorded values are encrypted in the database file, its WAL and SHM."""
    canary = "QZXJ7CANARY"
    store.add_new({**KIT, "batch": canary, "serial": canary + "S"})
    files = {p.name: p.read_bytes() for p in data_dir.iterdir() if p.is_file()}
    assert any(name.endswith("-wal") for name in files), "WAL should hold the write"
    for name, data in files.items():
        assert canary.encode() not in data, name
        assert b"nyxoid" not in data, name
        assert b"SQLite format 3" not in data, name
    store.close()
    for name in ("outreach.db", "outreach.db-wal", "outreach.db-shm"):
        path = data_dir / name
        if path.exists():
            assert canary.encode() not in path.read_bytes()


def test_flipped_byte_is_detected(store: Store, data_dir: Path) -> None:
    """Changing one byte of a page makes the store refuse to read it or fail verification."""
    for _ in range(50):
        store.add_new(CONTACT)
    store.close()
    path = data_dir / "outreach.db"
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in (100, page + 200, len(data) - 50):
        flipped = bytearray(data)
        flipped[offset] ^= 0x01
        path.write_bytes(flipped)
        with pytest.raises(StoreCorrupt):
            reopened = unlock_store(data_dir, "alice", PASSPHRASE)
            try:
                problems = reopened.verify()
                reopened.recent(limit=1000)
            finally:
                reopened.close()
            if problems:
                raise StoreCorrupt("; ".join(problems))
    path.write_bytes(data)
    sound = unlock_store(data_dir, "alice", PASSPHRASE)
    assert sound.verify() == [] and sound.record_count() == 50
    sound.close()


def test_device_seq_is_gap_free_and_batches_are_all_or_nothing(store: Store) -> None:
    """Seqs run 1..n with no gaps; a batch with one bad record writes nothing."""
    good = [build_record(CONTACT, recorded_by="alice") for _ in range(3)]
    store.add(good)
    bad_void = build_record(
        {"type": "void", "target": "01900000-0000-7000-8000-000000000000", "reason": "duplicate"},
        recorded_by="alice",
    )
    with pytest.raises(InvalidRecord):
        store.add([build_record(CONTACT, recorded_by="alice"), bad_void])
    store.add([build_record(CONTACT, recorded_by="alice")])
    seqs = [row[0] for row in store.conn.execute("SELECT device_seq FROM records ORDER BY 1")]
    assert seqs == [1, 2, 3, 4]


def test_the_same_record_cannot_be_saved_twice(store: Store) -> None:
    """Saving an already stored id is refused, leaving one copy."""
    record = build_record(CONTACT, recorded_by="alice")
    store.add([record])
    with pytest.raises(InvalidRecord, match="already stored"):
        store.add([record])
    assert store.record_count() == 1


def test_void_and_correction_take_records_out_of_counts(store: Store) -> None:
    """A voided record and a superseded one stop counting; the correction counts instead."""
    first, _ = store.add_new(KIT)
    second, _ = store.add_new(KIT)
    store.void(first.id, "entered_in_error")
    store.add_new({**KIT, "recipient": "carer", "supersedes": second.id})
    rows = counts(store.conn, ["recipient"], *ALL_TIME)
    assert rows == [{"recipient": "carer", "count": 1}]
    assert store.get(first.id).active is False
    with pytest.raises(InvalidRecord, match="already"):
        store.void(first.id, "duplicate")


def test_a_void_cannot_be_voided_and_corrections_keep_their_type(store: Store) -> None:
    """Voids are final, and a contact cannot stand in for a kit issue."""
    kit, _ = store.add_new(KIT)
    store.void(kit.id, "duplicate")
    void_id = store.recent(limit=1)[0].record.id
    with pytest.raises(InvalidRecord):
        store.void(void_id, "duplicate")
    other, _ = store.add_new(KIT)
    with pytest.raises(InvalidRecord, match="cannot correct"):
        store.add_new({**CONTACT, "supersedes": other.id})


def test_counts_group_by_fields_list_fields_and_period(store: Store) -> None:
    """Counts group by scalar fields, list fields (one row per value) and month."""
    store.add_new({**CONTACT, "substances": ["heroin", "crack"]})
    store.add_new({**CONTACT, "substances": ["heroin"], "setting": "hostel"})
    store.add_new({**KIT, "occurred_at": "2026-10-02T10:00:00+01:00", "expiry": "2027-01-31"})
    assert counts(store.conn, ["substances"], *ALL_TIME) == [
        {"substances": "crack", "count": 1},
        {"substances": "heroin", "count": 2},
    ]
    assert counts(store.conn, ["setting"], *ALL_TIME) == [
        {"setting": "hostel", "count": 1},
        {"setting": "street", "count": 1},
    ]
    assert counts(store.conn, ["month", "product"], *ALL_TIME) == [
        {"month": "2026-10", "product": "nyxoid_1_8mg_nasal", "count": 1}
    ]
    assert counts(store.conn, [], dt.date(2026, 11, 1), dt.date(2026, 11, 30), "kit_issue") == [
        {"count": 0}
    ]
    with pytest.raises(InvalidRecord):
        counts(store.conn, ["product", "substances"], *ALL_TIME)


def test_history_by_client_code_and_serial(store: Store) -> None:
    """A client's records are found by code; a serial handed out before is found."""
    from outreach.domain.client_code import make_client_code

    code = make_client_code(b"k" * 32, "JS", dt.date(1980, 2, 3), "male")
    store.add_new({**CONTACT, "client_code": code})
    store.add_new({**KIT, "client_code": code, "serial": "SER1"})
    store.add_new(CONTACT)
    assert len(store.recent(client_code=code)) == 2
    assert store.serial_issued("SER1") is not None
    assert store.serial_issued("SER2") is None


def test_closed_store_says_it_is_locked(store: Store) -> None:
    """After lock, use raises VaultLocked rather than a database error."""
    store.close()
    with pytest.raises(VaultLocked):
        store.record_count()


@pytest.mark.parametrize(
    "by",
    [
        ["product", "recipient"],
        ["day", "supply"],
        ["week"],
        ["month", "setting"],
        ["substances", "risk_level"],
        ["area", "referrals"],
        [],
    ],
)
def test_coded_fact_rows_match_the_rollup_counts(store: Store, by: list[str]) -> None:
    """The coded fact rows (any grouping) and the roll-up (where it serves) give the same counts.

    (Until the unused "text" layout went, this compared the store's text views instead.)"""
    from outreach.store.counts import count_query

    for day in ("2026-10-02", "2026-10-09", "2026-11-01"):
        when = f"{day}T10:00:00+00:00"
        store.add_new({**KIT, "occurred_at": when, "supply": "repeat", "resupply_reason": "lost"})
        store.add_new({**KIT, "occurred_at": when, "recipient": "carer"})
        store.add_new(
            {
                **CONTACT,
                "occurred_at": when,
                "substances": ["heroin", "alcohol"],
                "referrals": [{"to": "gp"}],
            }
        )
    voided, _ = store.add_new({**KIT, "occurred_at": "2026-10-02T11:00:00+00:00"})
    store.void(voided.id, "duplicate")
    kind = "contact" if {"substances", "setting", "area"} & set(by) else "kit_issue"
    span = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    sql, params, _ = count_query(by, *span, kind, layout="coded")
    fact_rows = [list(row) for row in store.conn.execute(sql, params)]
    rollup_rows = [list(row.values()) for row in counts(store.conn, by, *span, kind)]
    assert rollup_rows == fact_rows
    assert rollup_rows


def test_facts_view_shows_text_values(store: Store) -> None:
    """The facts view decodes every coded column back to the recorded text."""
    record, _ = store.add_new({**KIT, "serial": "SER9", "occurred_at": "2026-10-02T23:30:00+01:00"})
    row = store.conn.execute(
        "SELECT id, type, day, month, product, serial, batch, expiry, active FROM facts"
    ).fetchone()
    assert row == (
        record.id,
        "kit_issue",
        "2026-10-02",
        "2026-10",
        "nyxoid_1_8mg_nasal",
        "SER9",
        "AB12",
        "2030-05-31",
        1,
    )
