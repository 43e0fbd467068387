"""Migrations frozen in time: stores made by earlier code upgrade to exactly a fresh store's schema.

`fixtures/store_vN/` holds a store made by the code of the day schema N was current (see
`fixtures/README.md`), with `examples/sample.jsonl` recorded in it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from outreach.records.columns import ADDED_FACT_COLUMNS
from outreach.records.facts import ITEM_FIELDS, NUMERIC_COLUMNS, PERIOD_FIELDS, count_fields
from outreach.store import migrations
from outreach.store.counts import count_query
from outreach.store.fact_table import CODED_COLUMNS
from outreach.store.session import create_store, unlock_store
from outreach.store.store import Store
from tests.samples import FAST_KDF, PASSPHRASE

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_PASSPHRASE = "fixture passphrase 4 old stores"
SAMPLE = Path(__file__).parents[2] / "examples" / "sample.jsonl"
EVER = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
VERSIONS = sorted(int(p.name.removeprefix("store_v")) for p in FIXTURES.glob("store_v*"))


def _schema(store: Store) -> dict[tuple[str, str], str]:
    """sqlite_master as {(type, name): sql}; code ids the roll-up triggers carry as literals
    are data (they differ between stores), so trigger bodies are compared without numbers."""
    rows = store.conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
    return {
        (kind, name): re.sub(r"\d+", "#", sql) if kind == "trigger" else sql
        for kind, name, sql in rows
    }


def _every_count(store: Store) -> dict[tuple[str, str, str], list[Any]]:
    """Every record type counted by each of its fields, from the roll-up and from the rows."""
    result = {}
    for kind, fields in count_fields().items():
        for field in fields:
            for layout in ("rollup", "coded"):
                sql, params, _ = count_query([field], *EVER, kind, layout=layout)
                result[kind, field, layout] = store.conn.execute(sql, params).fetchall()
    return result


def _sample_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]


@pytest.fixture
def fresh(tmp_path: Path) -> Store:
    store, _ = create_store(tmp_path / "fresh", "alice", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    for record in _sample_records():
        store.add_new(record)
    return store


def _upgraded(version: int, tmp_path: Path) -> Store:
    data = tmp_path / f"v{version}"
    shutil.copytree(FIXTURES / f"store_v{version}", data)
    return unlock_store(data, "alice", FIXTURE_PASSPHRASE)


def test_there_is_a_store_made_by_the_code_of_every_schema_version() -> None:
    """Each migration step has a store made before the next step existed, to upgrade from."""
    assert list(range(1, migrations.LATEST + 1)) == VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_an_upgraded_store_has_a_fresh_stores_schema(
    version: int, tmp_path: Path, fresh: Store
) -> None:
    """Tables, indexes, views and triggers of an upgraded store are those a fresh store gets."""
    with fresh, _upgraded(version, tmp_path) as old:
        assert migrations.schema_version(old.conn) == migrations.LATEST
        assert _schema(old) == _schema(fresh)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_upgraded_store_keeps_its_records_and_counts_them_as_a_fresh_one(
    version: int, tmp_path: Path, fresh: Store
) -> None:
    """The same records give the same counts in an upgraded and a fresh store, and it still
    takes new records and voids (the roll-up's triggers work)."""
    with fresh, _upgraded(version, tmp_path) as old:
        assert old.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 7
        assert _every_count(old) == _every_count(fresh)
        for store in (old, fresh):
            made, _ = store.add_new(_sample_records()[1])
            store.void(made.id, "duplicate")
        assert _every_count(old) == _every_count(fresh)


def test_the_latest_rollup_migration_counts_todays_fields() -> None:
    """Changing the counted fields needs a new migration that installs the roll-up again."""
    assert {k: tuple(v) for k, v in migrations.ROLLUP.counted.items()} == dict(count_fields())
    assert tuple(migrations.ROLLUP.items) == tuple(ITEM_FIELDS)
    assert not set(PERIOD_FIELDS) & {f for v in count_fields().values() for f in v}


def test_a_fresh_store_has_a_column_for_every_fact_field(fresh: Store) -> None:
    """A new fact field needs a migration adding its column (migration 1 is not regenerated)."""
    with fresh:
        columns = [row[1] for row in fresh.conn.execute("PRAGMA table_info(fact_data)")]
    # columns added by a later migration come after every column of migration 1
    first = [c for c in CODED_COLUMNS if c not in ADDED_FACT_COLUMNS]
    assert columns == ["seq", "active", "day", *first, *NUMERIC_COLUMNS, *ADDED_FACT_COLUMNS]


def test_a_later_alter_table_migration_also_runs_on_a_fresh_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a column the plain way works for new stores too (it failed with 'duplicate
    column name' while migration 1 was built from live constants)."""
    from outreach.store.migrations.script import run_script

    def add_column(conn: Any) -> None:
        run_script(conn, "ALTER TABLE fact_data ADD COLUMN carrying_naloxone INTEGER;\n")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, add_column])
    monkeypatch.setattr(migrations, "LATEST", len(migrations.MIGRATIONS))
    monkeypatch.setattr(
        "outreach.store.fact_table.CODED_COLUMNS", (*CODED_COLUMNS, "carrying_naloxone")
    )
    store, _ = create_store(tmp_path / "new", "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    with store:
        columns = [row[1] for row in store.conn.execute("PRAGMA table_info(fact_data)")]
    assert columns.count("carrying_naloxone") == 1
