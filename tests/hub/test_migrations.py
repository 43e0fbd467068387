"""Recorded hub migrations: a hub made by the code before them (kept in tests/hub/fixtures/)
upgrades to the schema a fresh hub gets, counts the same, and stores batches again."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from outreach.hub import db, limits, migrations
from outreach.hub.errors import HubError
from outreach.hub.keys import create_keys
from outreach.hub.migrations import h0003_pg_functions
from outreach.hub.service import Hub
from outreach.hub.sql import PROJECTION_LOCK
from tests.hub.fixtures.make_hub_fixtures import counts
from tests.hub.harness import BACKENDS, Device, contacts, hub_on, postgres_database, void
from tests.reports.test_commissioner_hub import assert_rollup_matches_facts

FIXTURES = Path(__file__).parent / "fixtures"


def schema(engine: sa.Engine) -> list[tuple[Any, ...]]:
    """Every table, column, index, constraint and (PostgreSQL) function, normalised."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master")
            return sorted(
                (kind, name, table, " ".join((sql or "").replace("IF NOT EXISTS ", "").split()))
                for kind, name, table, sql in rows
            )
        queries = [
            "SELECT table_name, column_name, ordinal_position, data_type, udt_name, "
            "collation_name, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = current_schema()",
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema()",
            "SELECT table_name, constraint_name, constraint_type "
            "FROM information_schema.table_constraints "
            "WHERE table_schema = current_schema() AND constraint_type <> 'CHECK'",
            "SELECT proname, pg_get_function_arguments(oid), pg_get_function_result(oid), prosrc "
            "FROM pg_proc WHERE pronamespace = current_schema()::regnamespace",
        ]
        return sorted(
            (index, *map(str, row))
            for index, query in enumerate(queries)
            for row in conn.exec_driver_sql(query)
        )


@contextlib.contextmanager
def old_hub(backend: str, home: Path, made_by: str = "") -> Iterator[Hub]:
    """A fixture hub (made by the code before recorded migrations, or `made_by` "-h0003": by
    the code of h0003, before coordinator roles and the roll-up), opened by today's code with
    new keys (the fixture keeps none) and not yet upgraded."""
    if backend == "sqlite":
        home.mkdir(parents=True)
        shutil.copy(FIXTURES / f"hub{made_by}.sqlite", home / "hub.db")
        engine = db.make_engine(f"sqlite:///{home / 'hub.db'}")
        yield Hub(engine, create_keys(home))
        engine.dispose()
        return
    with postgres_database() as url:
        subprocess.run(
            [
                *("psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url),
                *("-f", str(FIXTURES / f"hub{made_by}.pg.sql")),
            ],
            check=True,
            capture_output=True,
        )
        engine = db.make_engine(url)
        try:
            yield Hub(engine, create_keys(home))
        finally:
            engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_old_hub_upgrades_to_a_fresh_hubs_schema_and_counts(
    backend: str, tmp_path: Path
) -> None:
    """The hub made before recorded migrations runs every step, ends with a fresh hub's schema
    (tables, indexes, functions), counts what it counted, and stores batches again."""
    expected = json.loads((FIXTURES / "counts.json").read_text())
    with hub_on(backend, tmp_path / "fresh") as fresh:
        fresh_schema = schema(fresh.engine)
    with old_hub(backend, tmp_path / "old") as hub:
        before = schema(hub.engine)
        assert hub.upgrade() == [step.name for step in migrations.STEPS]
        assert schema(hub.engine) == fresh_schema != before
        got = counts(hub)
        assert {key: got[key] for key in expected} == expected
        # types added since the fixture was made (overdose events…) count nothing on it
        assert all(got[key] in ([], [[0]]) for key in got.keys() - expected.keys())
        assert_rollup_matches_facts(hub.engine)
        device = Device(hub, "dev-new")
        hub.ingest(device.batch(contacts(2)))
        after = counts(hub)
        assert after["contact:"] == [[expected["contact:"][0][0] + 2]]
        assert hub.upgrade() == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_hub_made_before_the_roll_up_upgrades_and_counts_the_same(
    backend: str, tmp_path: Path
) -> None:
    """The hub made by the code of h0003 (before coordinator roles and the service roll-up)
    runs only the steps after it, ends with a fresh hub's schema, answers every count it
    answered, its devices keep their roles, and the roll-up it fills from the facts (the
    fixture's void and correction included) equals the facts, also after new batches and a
    void."""
    expected = json.loads((FIXTURES / "counts-h0003.json").read_text())
    with hub_on(backend, tmp_path / "fresh") as fresh:
        fresh_schema = schema(fresh.engine)
    with old_hub(backend, tmp_path / "old", "-h0003") as hub:
        assert hub.upgrade() == [s.name for s in migrations.STEPS[3:]]  # after h0003
        assert schema(hub.engine) == fresh_schema
        got = counts(hub)
        assert {key: got[key] for key in expected} == expected
        assert all(got[key] in ([], [[0]]) for key in got.keys() - expected.keys())
        assert {d["role"] for d in hub.list_devices()} == {"worker"}
        assert_rollup_matches_facts(hub.engine)
        device = Device(hub, "dev-new")
        first, second = contacts(2)
        hub.ingest(device.batch([first, second]))
        hub.ingest(device.batch([void(first.id)]))
        assert_rollup_matches_facts(hub.engine)
        after = counts(hub)
        assert after["contact:"] == [[expected["contact:"][0][0] + 1]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_up_to_date_hub_runs_nothing_and_records_each_step(backend: str, tmp_path: Path) -> None:
    """A fresh hub records every step with its date; opening it again changes nothing."""
    with hub_on(backend, tmp_path / "hub") as hub:
        before = schema(hub.engine)
        assert hub.upgrade() == [] and schema(hub.engine) == before
        with hub.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT name, written FROM hub_migrations").all()
        assert sorted(rows) == [(step.name, step.written) for step in migrations.STEPS]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_hub_upgraded_by_a_newer_release_is_refused(backend: str, tmp_path: Path) -> None:
    """A step this code does not know means a newer hub wrote the database: refused, clearly."""
    with hub_on(backend, tmp_path / "hub") as hub:
        with hub.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO hub_migrations VALUES ('h9999_future', '2099-01-01', '2099-01-01')"
            )
        with pytest.raises(HubError, match="newer version"):
            hub.upgrade()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_tables_the_hub_queries_are_the_ones_migrations_make(
    backend: str, tmp_path: Path
) -> None:
    """db.py's table descriptions name the columns the migrations made, in order."""
    with hub_on(backend, tmp_path / "hub") as hub:
        inspector = sa.inspect(hub.engine)
        for table in db.metadata.sorted_tables:
            made = [column["name"] for column in inspector.get_columns(table.name)]
            assert made == [column.name for column in table.columns], table.name


def test_the_frozen_functions_use_todays_caps_and_lock() -> None:
    """Changing a quarantine cap or the projection lock needs a new step: the SQL is literal."""
    text = h0003_pg_functions.STORE_BATCH
    assert f"> {limits.QUARANTINE_BYTES_PER_DEVICE}" in text
    assert f"> {limits.QUARANTINE_BYTES_TOTAL})" in text
    assert text.count(f"({PROJECTION_LOCK})") == 2
