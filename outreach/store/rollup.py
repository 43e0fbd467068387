"""The daily roll-up: counts per (record type, field, day, site, value), kept by triggers.

A count by one field over a year of a busy store would otherwise group hundreds of thousands of
fact rows; the roll-up answers it from a few thousand cells. Triggers on `fact_data` and
`fact_item_data` keep it exact on every write path: `Store.add`, voids and corrections (active
1 → 0), deletes (the cascade from `records`) and bulk loads alike. Cells that fall to zero stay
and are skipped by `HAVING`. A retention purge (`outreach.store.purge`) is the one delete that
must not change a count: it deletes with the delete triggers set aside (`keeping_cells`), so
past periods keep their counts after their records have left the laptop.

Type and field names are stored as code ids (seeded here, so the triggers carry them as
literals); a missing scalar value is 0, which decodes to no value. Which fields are rolled up is
given by the migration that installs the roll-up (`RollupFields`, a literal copy of the
registry's counted fields, `facts.count_fields()`, on that day): a change to them needs a new
migration that calls `install` again with them (`tests/store/test_migrations.py` checks the
latest one is current).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from outreach.records.facts import PERIOD_FIELDS
from outreach.store.connection import Connection


@dataclass(frozen=True)
class RollupFields:
    """What a roll-up counts: each record type's counted fields, and which of them are lists."""

    counted: Mapping[str, Sequence[str]]
    items: Sequence[str]


# Besides one counted field, a roll-up query can also group by these.
AXES = ("site", "day")
_ON_CONFLICT = (
    " ON CONFLICT (type, field, day, site, value) "
    "DO UPDATE SET n = n + excluded.n, quantity = quantity + excluded.quantity"
)
# `WHERE true` tells SQLite's parser that ON starts the upsert, not a join constraint.
_UPSERT = f" WHERE true{_ON_CONFLICT}"
_INSERT = "INSERT INTO fact_rollup (type, field, day, site, value, n, quantity) "


def serves(fields: Sequence[str]) -> bool:
    """Whether the roll-up can answer a count grouped by `fields`: site, day and at most one
    other field that is not a period (weeks, months and years are not rolled up)."""
    others = [field for field in fields if field not in AXES]
    return not others or (len(others) == 1 and others[0] not in PERIOD_FIELDS)


def counted_field(fields: Sequence[str]) -> str:
    """The field whose cells answer `fields`: the one beyond site and day, else site."""
    return next((field for field in fields if field not in AXES), "site")


def _scalar_columns(fields: RollupFields) -> dict[str, list[str]]:
    """Each scalar count field and the record types that have it.

    Every countable type has `site`, so its site cells also hold the type's totals.
    """
    columns: dict[str, list[str]] = {}
    for kind, counted in fields.counted.items():
        for field in (f for f in counted if f not in fields.items):
            columns.setdefault(field, []).append(kind)
    return columns


def _seed_codes(conn: Connection, fields: RollupFields) -> dict[str, int]:
    names = {*fields.counted, *_scalar_columns(fields), *fields.items}
    conn.executemany("INSERT OR IGNORE INTO codes (value) VALUES (?)", [(n,) for n in names])
    marks = ", ".join("?" * len(names))
    rows = conn.execute(f"SELECT value, id FROM codes WHERE value IN ({marks})", sorted(names))
    return {str(value): int(code) for value, code in rows}


def _item_ids(ids: dict[str, int], fields: RollupFields) -> str:
    return ", ".join(str(ids[field]) for field in fields.items)


def _change_cells(
    ids: dict[str, int], fields: RollupFields, kind: str, row: str, sign: str
) -> list[str]:
    """Statements adding `sign` × the `kind` record `row`: its scalar cells, then its items."""
    cells = " UNION ALL ".join(
        f"SELECT {ids[column]} AS field, {row}.{column} AS value"
        for column in fields.counted[kind]
        if column not in fields.items
    )
    statements = [
        f"{_INSERT}SELECT {row}.type, c.field, {row}.day, {row}.site, "
        f"coalesce(c.value, 0), {sign}, {sign} * coalesce({row}.quantity, 0) "
        f"FROM ({cells}) c{_UPSERT}"
    ]
    if any(field in fields.items for field in fields.counted[kind]):
        statements.append(
            f"{_INSERT}SELECT {row}.type, i.field, {row}.day, {row}.site, i.value, {sign}, 0 "
            f"FROM fact_item_data i WHERE i.seq = {row}.seq "
            f"AND i.field IN ({_item_ids(ids, fields)})"
            f"{_ON_CONFLICT}"
        )
    return statements


def _trigger(name: str, when: str, body: list[str]) -> str:
    return f"CREATE TRIGGER {name} {when} BEGIN {'; '.join(body)}; END"


_DELETE_TRIGGER = "fact_rollup_delete_"


@contextlib.contextmanager
def keeping_cells(conn: Connection) -> Iterator[None]:
    """Inside a transaction: deletes from `fact_data` leave the roll-up's cells as they are.

    The delete triggers are dropped and re-created from their own SQL (DDL is transactional in
    SQLite: a rollback brings them back too, and no other connection sees the gap)."""
    if not conn.in_transaction:
        raise RuntimeError("keeping_cells needs an open transaction")
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
        (f"{_DELETE_TRIGGER}%",),
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    yield
    for _, sql in triggers:
        conn.execute(sql)


def _triggers(ids: dict[str, int], fields: RollupFields) -> list[str]:
    """One set per record type (each touches only its own fields), and one for list items."""
    triggers = [
        _trigger(
            "fact_rollup_item",
            "AFTER INSERT ON fact_item_data",
            [
                f"{_INSERT}SELECT f.type, NEW.field, f.day, f.site, NEW.value, 1, 0 "
                f"FROM fact_data f WHERE f.seq = NEW.seq AND f.active = 1 "
                f"AND NEW.field IN ({_item_ids(ids, fields)}){_ON_CONFLICT}"
            ],
        )
    ]
    for kind in fields.counted:
        is_kind = f"type = {ids[kind]}"
        # On insert the list items come after the row, through fact_rollup_item.
        added = _change_cells(ids, fields, kind, "NEW", "1")[:1]
        triggers += [
            _trigger(
                f"fact_rollup_insert_{kind}",
                f"AFTER INSERT ON fact_data WHEN NEW.{is_kind} AND NEW.active = 1",
                added,
            ),
            _trigger(
                f"fact_rollup_active_{kind}",
                f"AFTER UPDATE OF active ON fact_data "
                f"WHEN NEW.{is_kind} AND NEW.active IS NOT OLD.active",
                _change_cells(ids, fields, kind, "NEW", "(NEW.active - OLD.active)"),
            ),
            # BEFORE: the record's list items are still there to be taken out with it.
            _trigger(
                f"{_DELETE_TRIGGER}{kind}",
                f"BEFORE DELETE ON fact_data WHEN OLD.{is_kind} AND OLD.active = 1",
                _change_cells(ids, fields, kind, "OLD", "-1"),
            ),
        ]
    return triggers


def install(conn: Connection, fields: RollupFields) -> None:
    """Create (or re-create) the roll-up of `fields`, its triggers, and fill it from the active
    facts. Called by migrations only, each with the fields of its day."""
    ids = _seed_codes(conn, fields)
    old = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fact_rollup_%'"
    ).fetchall()
    for (name,) in old:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE IF EXISTS fact_rollup")
    conn.execute(
        """
CREATE TABLE fact_rollup (
  type INTEGER NOT NULL,
  field INTEGER NOT NULL,
  day INTEGER NOT NULL,
  site INTEGER NOT NULL,
  value INTEGER NOT NULL,
  n INTEGER NOT NULL,
  quantity INTEGER NOT NULL,
  PRIMARY KEY (type, field, day, site, value)
) WITHOUT ROWID"""
    )
    for trigger in _triggers(ids, fields):
        conn.execute(trigger)
    _backfill(conn, ids, fields)


def _backfill(conn: Connection, ids: dict[str, int], fields: RollupFields) -> None:
    scalars = " UNION ALL ".join(
        f"SELECT f.type, {ids[column]} AS field, f.day, f.site, coalesce(f.{column}, 0) AS value, "
        f"coalesce(f.quantity, 0) AS q FROM fact_data f WHERE f.active = 1 "
        f"AND f.type IN ({', '.join(str(ids[kind]) for kind in kinds)})"
        for column, kinds in _scalar_columns(fields).items()
    )
    items = (
        "SELECT f.type, i.field, f.day, f.site, i.value, 0 FROM fact_item_data i "
        f"JOIN fact_data f ON f.seq = i.seq WHERE f.active = 1 "
        f"AND i.field IN ({_item_ids(ids, fields)})"
    )
    conn.execute(
        f"{_INSERT}SELECT type, field, day, site, value, count(*), sum(q) "
        f"FROM ({scalars} UNION ALL {items}) GROUP BY 1, 2, 3, 4, 5"
    )


def cells_query(fields: Sequence[str], measure_quantity: bool) -> str:
    """A grouped count from the roll-up for `fields` (which `serves` accepts): keys k0.., n.

    Named parameters: kind, field (`counted_field`), start and end (day ordinals).
    """
    keys = [f"r.{field}" if field in AXES else "r.value" for field in fields]
    measure = "sum(r.quantity)" if measure_quantity else "sum(r.n)"
    select = [
        *(f"{key} AS k{index}" for index, key in enumerate(keys)),
        f"coalesce({measure}, 0) AS n",
    ]
    sql = (
        f"SELECT {', '.join(select)} FROM fact_rollup r "
        "WHERE r.type = (SELECT id FROM codes WHERE value = :kind) "
        "AND r.field = (SELECT id FROM codes WHERE value = :field) "
        "AND r.day BETWEEN :start AND :end"
    )
    if fields:
        positions = ", ".join(str(i) for i in range(1, len(fields) + 1))
        sql += f" GROUP BY {positions} HAVING sum(r.n) > 0"
    return sql
