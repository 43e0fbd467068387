"""The count set on a hub's tables (SQLAlchemy, SQLite and PostgreSQL) equals the laptop's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from outreach.hub import db, pg_store
from outreach.hub.projection import Projected, project
from outreach.hub.service_counts import HubSource
from outreach.hub.sql import Sql
from outreach.records import encode_record
from outreach.reports.commissioner import (
    COUNTED_TYPES,
    FactSource,
    commissioner_counts,
    counted_fields,
    local_counts,
)
from outreach.store.counts import Layout
from outreach.store.store import Store
from tests.reports.conftest import JANUARY


def load_hub(engine: sa.Engine, store: Store) -> None:
    """Project every record of the store into the hub's counting tables, as ingest does."""
    postgres = engine.dialect.name == "postgresql"
    stored = reversed(store.recent(limit=10_000))
    new = [Projected(item.record, compact=postgres) for item in stored]
    with engine.begin() as conn:
        # the records too: the referral funnel reads referral codes from their bodies
        conn.execute(
            db.records.insert(),
            [
                {
                    "id": item.record.id,
                    "device_id": "seeded",
                    "device_seq": item.device_seq,
                    "type": item.record.type,
                    "occurred_at": item.record.occurred_at.isoformat(),
                    "batch_id": "seeded",
                    "body": encode_record(item.record),
                }
                for item in store.recent(limit=10_000)
            ],
        )
        if postgres:
            pg_store.project(conn, new)
        else:
            project(Sql(engine), conn, new)


def hub_counts(engine: sa.Engine, site: str | None) -> Any:
    with engine.connect() as conn:

        def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
            return conn.execute(sa.text(sql), params).all()

        layout: Layout = "arrays" if engine.dialect.name == "postgresql" else "json"
        return commissioner_counts(run, *JANUARY, site, layout=layout)


@pytest.mark.parametrize("site", [None, "pharmacy"])
def test_sqlite_hub_matches_the_laptop(seeded: Store, tmp_path: Path, site: str | None) -> None:
    """The hub's SQLite tables give the same set as the laptop's coded tables."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        db.create_schema(engine)
        load_hub(engine, seeded)
        assert hub_counts(engine, site) == local_counts(seeded.conn, *JANUARY, site)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_hub_matches_the_laptop(seeded: Store) -> None:
    """The same SQL runs on PostgreSQL and gives the same set."""
    from tests.hub.harness import postgres_database

    with postgres_database() as url:
        engine = db.make_engine(url)
        try:
            db.create_schema(engine)
            load_hub(engine, seeded)
            assert hub_counts(engine, None) == local_counts(seeded.conn, *JANUARY)
        finally:
            engine.dispose()


EVER = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def assert_rollup_matches_facts(engine: sa.Engine, site: str | None = None) -> None:
    """The hub's roll-up (kept by triggers) gives the margins a scan of the facts gives, for
    every type and field the commissioner set reads; and the people tables agree too."""
    layout: Layout = "arrays" if engine.dialect.name == "postgresql" else "json"
    with engine.connect() as conn:

        def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
            return conn.execute(sa.text(sql), params).all()

        facts, rollup = FactSource(run, layout, site), HubSource(conn, site, None)
        for kind in COUNTED_TYPES:
            fields = counted_fields(kind)
            assert rollup.margins(kind, fields, *EVER) == facts.margins(kind, fields, *EVER), kind
        reached = rollup.people(dt.date(2000, 1, 1), dt.date(2099, 12, 31))[0].value
        assert reached == facts.people(*EVER)[0].value
        codes = conn.exec_driver_sql(
            "SELECT count(DISTINCT client_code) FROM facts WHERE type = 'kit_issue' AND active = 1"
        ).scalar_one()
        assert rollup.people(*EVER)[2].value == codes


@pytest.mark.parametrize("site", [None, "pharmacy"])
def test_the_sqlite_rollup_equals_the_facts(
    seeded: Store, tmp_path: Path, site: str | None
) -> None:
    """Triggers keep the roll-up exact through the seeded store's void (SQLite)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        db.create_schema(engine)
        load_hub(engine, seeded)
        assert_rollup_matches_facts(engine, site)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_postgres_rollup_equals_the_facts(seeded: Store) -> None:
    """The statement triggers do the same on PostgreSQL."""
    from tests.hub.harness import postgres_database

    with postgres_database() as url:
        engine = db.make_engine(url)
        try:
            db.create_schema(engine)
            load_hub(engine, seeded)
            assert_rollup_matches_facts(engine)
            assert_rollup_matches_facts(engine, "pharmacy")
        finally:
            engine.dispose()
