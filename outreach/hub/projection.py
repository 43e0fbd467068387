"""Newly stored records into the hub's counting tables (`facts`, `fact_items`, `retired`).

Runs inside the transaction that stores the records, so a count never sees a record that is
stored but not yet counted. `Projected` rows are made before the transaction (CPU work that
needs no lock); what depends on other records — voids and corrections — is settled here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from outreach.domain import facts as fact_projection
from outreach.domain.records import Record
from outreach.hub import db
from outreach.hub.sql import Sql


class Projected:
    """One record with its facts row (None for a void) and the id it retires, if any."""

    __slots__ = ("items", "record", "retires", "row")

    def __init__(self, record: Record) -> None:
        self.record = record
        self.retires = fact_projection.retired_id(record)
        fact = fact_projection.project(record)
        self.row: dict[str, Any] | None = None
        self.items: list[tuple[str, str]] = []
        if fact is not None:
            row = fact.row
            row["serial"] = getattr(record, "serial", None)
            row["fact"] = db.fact_key(record.id)
            self.row, self.items = row, fact.items


def project(sql: Sql, conn: sa.Connection, new: Sequence[Projected]) -> None:
    """Facts for newly stored records; voids and corrections retire their targets."""
    retirements = [
        {"id": item.retires, "by_id": item.record.id} for item in new if item.retires is not None
    ]
    if retirements:
        sql.insert(conn, db.retired, retirements, ignore_conflicts=True)
        where, params = sql.in_list("id", [r["id"] for r in retirements])
        sql.run(conn, f"UPDATE facts SET active = 0 WHERE {where}", params)
    rows = [item.row for item in new if item.row is not None]
    if not rows:
        return
    where, params = sql.in_list("id", [row["id"] for row in rows])
    retired = {
        found[0] for found in sql.rows(conn, f"SELECT id FROM retired WHERE {where}", params)
    }
    for row in rows:
        row["active"] = 0 if row["id"] in retired else 1
    items = [
        {"fact": item.row["fact"], "field": field, "value": value}
        for item in new
        if item.row is not None
        for field, value in item.items
    ]
    sql.insert(conn, db.facts, rows)
    sql.insert(conn, db.fact_items, items)
