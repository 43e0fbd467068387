"""Counts of active records grouped by any dictionary field and period.

One builder, two table layouts: the laptop's dictionary-coded `fact_data` (fast; see
`fact_table.py`) and the plain text `facts` / `fact_items` tables a hub keeps. The SQL uses named
parameters only, so the text form runs unchanged on SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from outreach.domain.facts import COUNT_FIELDS, ITEM_FIELDS, PERIOD_FIELDS, infer_count_type
from outreach.errors import InvalidRecord
from outreach.store.connection import Connection
from outreach.store.fact_table import ORDINAL_TO_JULIAN

Layout = Literal["coded", "text"]


def _check_fields(by: Sequence[str], kind: str | None) -> tuple[list[str], str]:
    fields = list(dict.fromkeys(by))
    try:
        kind = kind or infer_count_type(fields)
    except ValueError as exc:
        raise InvalidRecord(str(exc), field="by") from None
    if kind not in COUNT_FIELDS:
        raise InvalidRecord(f"cannot count records of type '{kind}'", field="type")
    allowed = (*COUNT_FIELDS[kind], *PERIOD_FIELDS)
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
    coded = layout == "coded"
    table, key, items = (
        ("fact_data", "seq", "fact_item_data") if coded else ("facts", "fact", "fact_items")
    )
    params: dict[str, Any] = {"kind": kind}
    joins, keys = [], []
    for index, field in enumerate(fields):
        if field in ITEM_FIELDS:
            params[f"field{index}"] = field
            field_match = (
                f"(SELECT id FROM codes WHERE value = :field{index})" if coded else f":field{index}"
            )
            joins.append(
                f"JOIN {items} i{index} ON i{index}.{key} = f.{key} "
                f"AND i{index}.field = {field_match}"
            )
            keys.append(f"i{index}.value")
        else:
            keys.append(f"f.{field}")
    measure = "coalesce(sum(f.quantity), 0)" if kind == "stock_movement" else "count(*)"
    kind_match = "(SELECT id FROM codes WHERE value = :kind)" if coded else ":kind"
    if coded:
        params.update(start=start.toordinal(), end=end.toordinal())
    else:
        params.update(start=start.isoformat(), end=end.isoformat())
    inner = (
        f"SELECT {', '.join([*(f'{k} AS k{i}' for i, k in enumerate(keys)), f'{measure} AS n'])} "
        f"FROM {table} f {' '.join(joins)} "
        f"WHERE f.type = {kind_match} AND f.active = 1 AND f.day BETWEEN :start AND :end"
    )
    positions = ", ".join(str(i) for i in range(1, len(fields) + 1))
    if fields:
        inner += f" GROUP BY {positions}"
    if not coded:
        names = ", ".join([*(f"k{i} AS {f}" for i, f in enumerate(fields)), "n AS count"])
        sql = f"SELECT {names} FROM ({inner}) g" + (f" ORDER BY {positions}" if fields else "")
        return sql, params, kind
    outer, decode = [], []
    for index, field in enumerate(fields):
        if field == "day":
            outer.append(f"date(g.k{index} + {ORDINAL_TO_JULIAN}) AS {field}")
        else:
            outer.append(f"c{index}.value AS {field}")
            decode.append(f"LEFT JOIN codes c{index} ON c{index}.id = g.k{index}")
    sql = f"SELECT {', '.join([*outer, 'g.n AS count'])} FROM ({inner}) g {' '.join(decode)}"
    if fields:
        sql += f" ORDER BY {positions}"
    return sql, params, kind


def counts(
    conn: Connection,
    by: Sequence[str],
    start: dt.date,
    end: dt.date,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of {field: value, ..., "count": n} from the laptop store; no value shows as None."""
    sql, params, _ = count_query(by, start, end, kind)
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
