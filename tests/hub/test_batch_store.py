"""Storing a batch, on both backends (PostgreSQL does it in one server function): the checks
that need the database, the receipt's counts, and an older PostgreSQL hub brought up to date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from outreach import stock
from outreach.hub import db
from outreach.hub.errors import DeviceRevoked, SeqReused
from outreach.hub.service import Hub
from outreach.records import Void, encode_record
from outreach.records.facts import ITEM_FIELDS
from outreach.stock import StockKey
from outreach.store.counts import LIST_VALUES
from outreach.store.store import Store
from outreach.sync.envelope import seal
from outreach.sync.protocol import Receipt, SignedReceipt, b64d
from tests.hub.harness import (
    Device,
    as_before_migrations,
    contacts,
    hub_on,
    list_items,
    make_hub,
    postgres_database,
)
from tests.reports.conftest import seed_january


def receipt(body: bytes) -> Receipt:
    signed = msgspec.json.decode(body, type=SignedReceipt)
    return msgspec.json.decode(b64d(signed.receipt), type=Receipt)


def table_count(hub: Hub, table: sa.Table) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_receipt_counts_new_duplicate_and_quarantined_records(hub: Hub) -> None:
    device = Device(hub, "dev-a")
    first, second = contacts(2)
    hub.ingest(device.batch([first]))
    broken = encode_record(msgspec.structs.replace(second, age_band="not_a_band"))
    pairs = [(2, encode_record(first)), (3, encode_record(second)), (4, broken)]
    envelope = seal(device.name, pairs, hub.keys.kem.public_key(), device.key)
    result = receipt(hub.ingest(envelope))
    assert (result.accepted, result.duplicates, result.quarantined) == (1, 1, 1)
    assert result.acked_through == 4
    assert table_count(hub, db.records) == 2 and table_count(hub, db.quarantine) == 1
    assert table_count(hub, db.facts) == 2


def test_a_reused_seq_refuses_the_whole_batch(hub: Hub) -> None:
    """An old copy of a device's store sends other records under seqs the hub holds."""
    device = Device(hub, "dev-a")
    hub.ingest(device.batch(contacts(3)))
    device.seq = 1  # the restored copy stopped after seq 1
    with pytest.raises(SeqReused, match="seq 2 "):
        hub.ingest(device.batch(contacts(3)))
    assert table_count(hub, db.records) == 3 and table_count(hub, db.batches) == 1
    with hub.engine.connect() as conn:
        kinds = conn.execute(sa.select(db.alerts.c.kind)).scalars().all()
    assert kinds == ["seq_reused"]


def test_revocation_stops_the_next_batch_though_the_key_is_cached(hub: Hub) -> None:
    device = Device(hub, "dev-a")
    hub.ingest(device.batch(contacts(1)))
    hub.revoke(device.name)
    with pytest.raises(DeviceRevoked):
        hub.ingest(device.batch(contacts(1)))
    assert table_count(hub, db.records) == 1 and table_count(hub, db.batches) == 1


def test_an_older_hubs_item_rows_move_into_the_list_columns(hub: Hub) -> None:
    """Hubs before the list columns kept an item row per value in fact_items."""
    device = Device(hub, "dev-a")
    hub.ingest(device.batch(contacts(3)))
    before = list_items(hub)
    values = LIST_VALUES["arrays" if hub.sql.postgres else "json"]
    with hub.engine.begin() as conn:
        for field in ITEM_FIELDS:
            each = values.format(field=field, alias="i")
            conn.exec_driver_sql(
                f"INSERT INTO fact_items SELECT f.fact, '{field}', i.value FROM facts f, {each}"
            )
            conn.exec_driver_sql(f"UPDATE facts SET {field} = NULL")
    assert list_items(hub) == []
    as_before_migrations(hub)
    db.create_schema(hub.engine)
    assert before and list_items(hub) == before and table_count(hub, db.fact_items) == 0


@pytest.mark.postgres
def test_an_older_postgres_hub_is_brought_up_to_date(tmp_path: Path) -> None:
    """Text columns without COLLATE "C", no list columns, no server functions: opening the
    hub adds them all; its records are still there and still counted."""
    with postgres_database() as url:
        hub = make_hub(tmp_path / "hub", url)
        device = Device(hub, "dev-a")
        hub.ingest(device.batch(contacts(3)))
        with hub.engine.begin() as conn:
            conn.exec_driver_sql("DROP FUNCTION outreach_store_batch")
            conn.exec_driver_sql("DROP FUNCTION outreach_project")
            conn.exec_driver_sql('ALTER TABLE records ALTER COLUMN id TYPE text COLLATE "default"')
            for field in ITEM_FIELDS:
                conn.exec_driver_sql(f"ALTER TABLE facts DROP COLUMN {field}")
        as_before_migrations(hub)
        db.create_schema(hub.engine)
        with hub.engine.connect() as conn:
            collations = conn.exec_driver_sql(
                "SELECT DISTINCT collation_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type = 'text'"
            ).scalars()
            assert set(collations) == {"C"}
        hub.ingest(device.batch(contacts(2)))
        assert table_count(hub, db.records) == 5 and table_count(hub, db.facts) == 5
        assert {fact for fact, _, _ in list_items(hub)}
        hub.engine.dispose()


@pytest.mark.postgres
def test_both_backends_project_every_record_type_alike(store: Store, tmp_path: Path) -> None:
    """The same batches give the same facts rows and list values on SQLite (Python projection,
    JSON lists) and PostgreSQL (its server function, arrays): every record type, a void and a
    correction."""
    seed_january(store)
    stock.receive(store, StockKey("pharmacy", "nyxoid_1_8mg_nasal", "NX1", dt.date(2030, 3, 31)), 5)
    kit = {
        "type": "kit_issue",
        "site": "pharmacy",
        "product": "nyxoid_1_8mg_nasal",
        "batch": "NX1",
        "expiry": "2030-03-31",
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "full",
        "occurred_at": "2026-01-20T09:00:00+00:00",
    }
    issued, _ = store.add_new(kit)
    store.add_new({**kit, "training": "refresher", "supersedes": issued.id})
    records = [item.record for item in reversed(store.recent(limit=10_000))]
    tables = []
    for backend in ("sqlite", "postgresql"):
        with hub_on(backend, tmp_path / backend) as hub:
            device = Device(hub, "dev-a")
            for start in range(0, len(records), 7):
                hub.ingest(device.batch(records[start : start + 7]))
            scalars = [column for column in db.facts.c if column.name not in ITEM_FIELDS]
            with hub.engine.connect() as conn:
                facts = conn.execute(sa.select(*scalars).order_by(db.facts.c.fact)).all()
            tables.append(([tuple(row) for row in facts], list_items(hub)))
    assert len(tables[0][0]) == sum(not isinstance(r, Void) for r in records)  # voids: none
    kinds = {"contact", "kit_issue", "naloxone_use", "stock_movement", "void"}
    assert {r.type for r in records} == kinds
    assert tables[0] == tables[1]


@pytest.mark.postgres
def test_opening_an_up_to_date_hub_leaves_its_functions_in_place(pg_hub: Hub) -> None:
    """Any command opens the hub (create_schema); a serving hub's functions are not replaced."""
    query = "SELECT oid FROM pg_proc WHERE proname = 'outreach_store_batch'"
    with pg_hub.engine.connect() as conn:
        before = conn.exec_driver_sql(query).scalars().all()
    db.create_schema(pg_hub.engine)
    with pg_hub.engine.connect() as conn:
        assert conn.exec_driver_sql(query).scalars().all() == before and len(before) == 1
