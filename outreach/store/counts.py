"""Counts of active records grouped by any dictionary field and period.

One builder, the sources that count: the laptop's daily roll-up (`rollup.py`: a count by one
field, by site and day, over any period), its dictionary-coded fact rows (`fact_table.py`: any
other grouping), and the plain text `facts` table a hub keeps, with list fields as JSON (SQLite)
or arrays (PostgreSQL).
The SQL uses named parameters only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from outreach.errors import InvalidRecord
from outreach.records.facts import (
    ITEM_FIELDS,
    PERIOD_FIELDS,
    count_fields,
    infer_count_type,
    period_keys,
)
from outreach.store import migrations, rollup
from outreach.store.connection import Connection
from outreach.store.fact_table import ORDINAL_TO_JULIAN

# "rollup": the laptop's daily roll-up where it can answer, else its coded fact rows;
# "coded": always the fact rows; "json" and "arrays": a hub's facts, list fields as JSON
# arrays (SQLite) or arrays (PostgreSQL). (A "text" layout over the store's text views had no
# caller but tests.)
Layout = Literal["rollup", "coded", "json", "arrays"]
PLAIN_LAYOUTS = ("json", "arrays")
PERIODS = ("week", "month", "year")  # summed from the roll-up's days on the laptop
# A list field's values as rows `i.value`, per hub layout.
LIST_VALUES = {
    "json": "json_each(f.{field}) AS {alias}",
    "arrays": "unnest(f.{field}) AS {alias}(value)",
}


def _check_fields(by: Sequence[str], kind: str | None) -> tuple[list[str], str]:
    fields = list(dict.fromkeys(by))
    try:
        kind = kind or infer_count_type(fields)
    except ValueError as exc:
        raise InvalidRecord(str(exc), field="by") from None
    counted = count_fields()
    if kind not in counted:
        raise InvalidRecord(f"cannot count records of type '{kind}'", field="type")
    allowed = (*counted[kind], *PERIOD_FIELDS)
    for field in fields:
        if field not in allowed:
            raise InvalidRecord(f"a {kind} cannot be counted by '{field}'", field="by")
    return fields, kind


def count_query(
    by: Sequence[str],
    start: dt.date,
    end: dt.date,
    kind: str | None = None,
    layout: Layout = "coded",
) -> tuple[str, dict[str, Any], str]:
    """SQL for counts of `kind` between two dates (inclusive), grouped by `by`.

    Returns (sql, params, kind); each result row is the `by` values then the count.
    Raises InvalidRecord for a field that cannot be counted.
    """
    fields, kind = _check_fields(by, kind)
    quantity = kind == "stock_movement"
    params: dict[str, Any] = {"kind": kind}
    if layout in PLAIN_LAYOUTS:
        params.update(start=start.isoformat(), end=end.isoformat())
        inner = _fact_rows_query(fields, quantity, params, layout=layout)
        names = ", ".join([*(f"k{i} AS {f}" for i, f in enumerate(fields)), "n AS count"])
        sql = f"SELECT {names} FROM ({inner}) g"
        if fields:
            sql += f" ORDER BY {_positions(fields)}"
        return sql, params, kind
    params.update(start=start.toordinal(), end=end.toordinal())
    if layout == "rollup" and rollup.serves(fields) and _rolled_up(kind, fields):
        params["field"] = rollup.counted_field(fields)
        inner = rollup.cells_query(fields, quantity)
    else:
        inner = _fact_rows_query(fields, quantity, params, layout="coded")
    return _decoded(inner, fields), params, kind


def _rolled_up(kind: str, fields: Sequence[str]) -> bool:
    """Whether the installed roll-up has cells for this count (see `migrations.ROLLUP`)."""
    return rollup.counted_field(fields) in migrations.ROLLUP.counted.get(kind, ())


def _positions(fields: Sequence[str]) -> str:
    """`1, 2, …` for GROUP BY / ORDER BY over the leading `fields` columns."""
    return ", ".join(str(i) for i in range(1, len(fields) + 1))


def _fact_rows_query(
    fields: list[str], quantity: bool, params: dict[str, Any], *, layout: Layout
) -> str:
    """A grouped count over the fact rows; list fields join their item rows (or arrays)."""
    coded = layout not in PLAIN_LAYOUTS
    table = "fact_data" if coded else "facts"
    joins, keys = [], []
    for index, field in enumerate(fields):
        if field in ITEM_FIELDS and layout in LIST_VALUES:
            values = LIST_VALUES[layout].format(field=field, alias=f"i{index}")
            joins.append(f"CROSS JOIN {values}")
            keys.append(f"i{index}.value")
        elif field in ITEM_FIELDS:  # the laptop's coded item rows
            params[f"field{index}"] = field
            joins.append(
                f"JOIN fact_item_data i{index} ON i{index}.seq = f.seq "
                f"AND i{index}.field = (SELECT id FROM codes WHERE value = :field{index})"
            )
            keys.append(f"i{index}.value")
        else:
            keys.append(f"f.{field}")
    measure = "coalesce(sum(f.quantity), 0)" if quantity else "count(*)"
    kind_match = "(SELECT id FROM codes WHERE value = :kind)" if coded else ":kind"
    inner = (
        f"SELECT {', '.join([*(f'{k} AS k{i}' for i, k in enumerate(keys)), f'{measure} AS n'])} "
        f"FROM {table} f {' '.join(joins)} "
        f"WHERE f.type = {kind_match} AND f.active = 1 AND f.day BETWEEN :start AND :end"
    )
    if fields:
        inner += f" GROUP BY {_positions(fields)}"
    return inner


def _decoded(inner: str, fields: list[str]) -> str:
    """Wrap a coded grouped count so that its keys read as text (days as ISO dates)."""
    outer, decode = [], []
    for index, field in enumerate(fields):
        if field == "day":
            outer.append(f"date(g.k{index} + {ORDINAL_TO_JULIAN}) AS {field}")
        else:
            outer.append(f"c{index}.value AS {field}")
            decode.append(f"LEFT JOIN codes c{index} ON c{index}.id = g.k{index}")
    sql = f"SELECT {', '.join([*outer, 'g.n AS count'])} FROM ({inner}) g {' '.join(decode)}"
    if fields:
        sql += f" ORDER BY {_positions(fields)}"
    return sql


def counts(
    conn: Connection,
    by: Sequence[str],
    start: dt.date,
    end: dt.date,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of {field: value, ..., "count": n} from the laptop store; no value shows as None.

    A count by week, month or year (and at most one other field) is the roll-up's daily cells
    summed into periods, so it stays exact after a retention purge (`rolled_up`)."""
    fields, kind = _check_fields(by, kind)
    daily = _daily(fields)
    if daily is not None and _served(kind, daily):
        return _into_periods(_rows(conn, daily, start, end, kind), fields)
    return _rows(conn, by, start, end, kind)


def rolled_up(by: Sequence[str], kind: str | None = None) -> bool:
    """Whether `counts` answers this grouping from the roll-up, which a retention purge keeps:
    if not, a period that includes purged records is counted from what is left on the device."""
    fields, kind = _check_fields(by, kind)
    return _served(kind, _daily(fields) or fields)


def _served(kind: str, fields: Sequence[str]) -> bool:
    return rollup.serves(fields) and _rolled_up(kind, fields)


def _daily(fields: Sequence[str]) -> list[str] | None:
    """`fields` with week, month and year replaced by day; None when it has none of them."""
    if not any(field in PERIODS for field in fields):
        return None
    return list(dict.fromkeys("day" if field in PERIODS else field for field in fields))


def _into_periods(rows: list[dict[str, Any]], fields: list[str]) -> list[dict[str, Any]]:
    """Daily rows summed into the periods of `fields`, ordered as the SQL orders (None first)."""
    totals: dict[tuple[Any, ...], int] = {}
    for row in rows:
        periods = period_keys(dt.date.fromisoformat(row["day"]))
        key = tuple(periods[f] if f in PERIOD_FIELDS else row[f] for f in fields)
        totals[key] = totals.get(key, 0) + int(row["count"])
    ordered = sorted(totals.items(), key=lambda item: [(v is not None, v or "") for v in item[0]])
    return [dict(zip([*fields, "count"], [*key, n], strict=True)) for key, n in ordered]


def _rows(
    conn: Connection, by: Sequence[str], start: dt.date, end: dt.date, kind: str
) -> list[dict[str, Any]]:
    sql, params, _ = count_query(by, start, end, kind, layout="rollup")
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
