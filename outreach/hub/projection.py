"""Newly stored records into the hub's counting tables (`facts`, `retired`), on SQLite.

Runs inside the transaction that stores the records, so a count never sees a record that is
stored but not yet counted. `Projected` rows are made before the transaction (CPU work that
needs no lock); what depends on other records — voids and corrections — is settled here.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from outreach.hub import db
from outreach.hub.sql import Sql
from outreach.records import Record
from outreach.records import facts as fact_projection


class Projected:
    """One checked record: what its `records` row needs, its facts row (None for a void) and
    the id it retires, if any. On SQLite the row is `facts.project`'s, and `lists` its list
    fields as JSON; `compact` (PostgreSQL) makes it `facts.compact_row`, lists inside."""

    __slots__ = ("kind", "lists", "occurred_at", "record", "retires", "row", "type")

    def __init__(self, record: Record, *, compact: bool = False) -> None:
        self.record = record
        self.kind = type(record)
        self.type = record.type
        self.occurred_at = record.occurred_at.isoformat()
        self.retires = fact_projection.retired_id(record)
        self.row: dict[str, Any] | None
        self.lists: tuple[str | None, ...] = ()
        if compact:
            self.row = fact_projection.compact_row(record)
            return
        fact = fact_projection.project(record)
        self.row = None if fact is None else fact.row
        if fact is not None:
            self.lists = _lists(self.kind, fact.items)


_encode = msgspec.json.Encoder().encode
# Facts columns the hub fills for every row, then those of the record type (`_columns`).
_OWN_COLUMNS = ("fact", "active", "serial")


@functools.cache
def _columns(kind: type) -> tuple[tuple[str, ...], Callable[[dict[str, Any]], tuple[Any, ...]]]:
    """The facts columns written for a record type and a getter of their values from a row,
    then the type's list columns (`_lists`).

    Columns a type never fills are left out (NULL by default): sqlite3 binds None ~4× slower
    than a string, and a contact leaves two thirds of the facts columns empty."""
    columns = fact_projection.row_columns(kind)
    return (*_OWN_COLUMNS, *columns, *_list_columns(kind)), operator.itemgetter(*columns)


def _list_columns(kind: type) -> tuple[str, ...]:
    return fact_projection.list_fields(kind)


def _lists(kind: type, items: Sequence[tuple[str, str]]) -> tuple[str | None, ...]:
    """A record's list fields as JSON arrays, in `_list_columns` order (None when empty)."""
    columns = _list_columns(kind)
    if not columns:
        return ()
    grouped: dict[str, list[str]] = {}
    for field, value in items:
        grouped.setdefault(field, []).append(value)
    return tuple(
        _encode(grouped[field]).decode() if field in grouped else None for field in columns
    )


def project(sql: Sql, conn: sa.Connection, new: Sequence[Projected]) -> None:
    """Facts for newly stored records; voids and corrections retire their targets."""
    retirements = [(item.retires, item.record.id) for item in new if item.retires is not None]
    if retirements:
        sql.insert(conn, db.retired, ("id", "by_id"), retirements, ignore_conflicts=True)
        where, params = sql.in_list("id", [target for target, _ in retirements])
        sql.run(conn, f"UPDATE facts SET active = 0 WHERE {where}", params)
    counted = [(item, item.row) for item in new if item.row is not None]
    if not counted:
        return
    where, params = sql.in_list("id", [item.record.id for item, _ in counted])
    retired = {
        found[0] for found in sql.rows(conn, f"SELECT id FROM retired WHERE {where}", params)
    }
    keys = free_keys(sql, conn, [db.fact_key(item.record.id) for item, _ in counted])
    by_kind: dict[type, list[tuple[Any, ...]]] = {}
    for (item, row), key in zip(counted, keys, strict=True):
        record = item.record
        own = (key, 0 if record.id in retired else 1, getattr(record, "serial", None))
        values = own + _columns(item.kind)[1](row) + item.lists
        by_kind.setdefault(item.kind, []).append(values)
    for kind, rows in by_kind.items():
        sql.insert(conn, db.facts, _columns(kind)[0], rows)


def free_keys(sql: Sql, conn: sa.Connection, wanted: Sequence[int]) -> list[int]:
    """Each wanted fact key, or the next one free in the table and in this batch.

    Keys come from the first bits of record ids, so two records can want the same one. (SQLite
    has one writer; PostgreSQL does the same in `outreach_project`.)"""
    keys = list(wanted)
    given: set[int] = set()
    todo = list(range(len(keys)))
    while todo:
        where, params = sql.in_list("fact", [keys[i] for i in todo], "bigint")
        taken = {row[0] for row in sql.rows(conn, f"SELECT fact FROM facts WHERE {where}", params)}
        moved = []
        for i in todo:
            if keys[i] in taken or keys[i] in given:
                keys[i] += 1
                moved.append(i)
            else:
                given.add(keys[i])
        todo = moved
    return keys
