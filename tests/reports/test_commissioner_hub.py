"""The count set on a hub's tables (SQLAlchemy, SQLite and PostgreSQL) equals the laptop's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from outreach.hub import db, pg_store
from outreach.hub.projection import Projected, project
from outreach.hub.sql import Sql
from outreach.records import encode_record
from outreach.reports.commissioner import commissioner_counts, local_counts
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
