"""The count set on a hub's tables (SQLAlchemy, SQLite and PostgreSQL) equals the laptop's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from outreach.domain.facts import project, retired_id
from outreach.hub import db
from outreach.reports.commissioner import commissioner_counts, local_counts
from outreach.store.store import Store
from tests.reports.conftest import JANUARY


def load_hub(engine: sa.Engine, store: Store) -> None:
    """Project every record of the store into the hub's plain facts tables, as ingest does."""
    stored = list(reversed(store.recent(limit=10_000)))
    retired = {target for s in stored if (target := retired_id(s.record))}
    with engine.begin() as conn:
        for item in stored:
            fact = project(item.record)
            if fact is None:
                continue
            row = dict(fact.row, active=0 if item.record.id in retired else 1)
            row["serial"] = getattr(item.record, "serial", None)
            key = row["fact"] = db.fact_key(item.record.id)
            conn.execute(sa.insert(db.facts), row)
            for field, value in fact.items:
                conn.execute(
                    sa.insert(db.fact_items), {"fact": key, "field": field, "value": value}
                )


def hub_counts(engine: sa.Engine, site: str | None) -> Any:
    with engine.connect() as conn:

        def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
            return conn.execute(sa.text(sql), params).all()

        return commissioner_counts(run, *JANUARY, site)


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
