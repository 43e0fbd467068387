"""Counts of active records grouped by any dictionary field and period.

The SQL uses named parameters only, so the hub runs the same query on SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from outreach.domain.facts import COUNT_FIELDS, ITEM_FIELDS, PERIOD_FIELDS, infer_count_type
from outreach.errors import InvalidRecord
from outreach.store.connection import Connection


def count_query(
    by: Sequence[str], start: dt.date, end: dt.date, kind: str | None = None
) -> tuple[str, dict[str, Any], str]:
    """SQL for counts of `kind` between two dates (inclusive), grouped by `by`.

    Returns (sql, params, kind). Raises InvalidRecord for a field that cannot be counted.
    """
    fields = list(dict.fromkeys(by))
    try:
        kind = kind or infer_count_type(fields)
    except ValueError as exc:
        raise InvalidRecord(str(exc), field="by") from None
    if kind not in COUNT_FIELDS:
        raise InvalidRecord(f"cannot count records of type '{kind}'", field="type")
    allowed = (*COUNT_FIELDS[kind], *PERIOD_FIELDS)
    joins, selects = [], []
    for index, field in enumerate(fields):
        if field not in allowed:
            raise InvalidRecord(f"a {kind} cannot be counted by '{field}'", field="by")
        if field in ITEM_FIELDS:
            alias = f"i{index}"
            joins.append(
                f"JOIN fact_items {alias} ON {alias}.fact = f.rowid AND {alias}.field = '{field}'"
            )
            selects.append(f"{alias}.value AS {field}")
        else:
            selects.append(f"f.{field} AS {field}")
    count = "sum(f.quantity)" if kind == "stock_movement" else "count(*)"
    sql = (
        f"SELECT {', '.join([*selects, f'{count} AS count'])} FROM facts f "
        + " ".join(joins)
        + " WHERE f.type = :kind AND f.active = 1 AND f.day BETWEEN :start AND :end"
    )
    if fields:
        positions = ", ".join(str(i) for i in range(1, len(fields) + 1))
        sql += f" GROUP BY {positions} ORDER BY {positions}"
    params = {"kind": kind, "start": start.isoformat(), "end": end.isoformat()}
    return sql, params, kind


def counts(
    conn: Connection,
    by: Sequence[str],
    start: dt.date,
    end: dt.date,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of {field: value, ..., "count": n}; a field with no value shows as None."""
    sql, params, _ = count_query(by, start, end, kind)
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
