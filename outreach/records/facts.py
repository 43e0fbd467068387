"""A flat, queryable projection of records, shared by the laptop store and the hub.

Records are kept whole and immutable; counts run over this projection instead: one row per
countable record (scalar fields as columns) and one item row per value of a list field. What a
type projects comes from its declaration in the registry (`RecordType`), so the laptop's
`project` and the PostgreSQL hub's `compact_row` are one description written two ways.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any

from outreach.records import Record, Void, registry
from outreach.records.columns import FACT_COLUMNS, ITEM_FIELDS, NUMERIC_COLUMNS, PERIOD_FIELDS

__all__ = [
    "FACT_COLUMNS",
    "ITEM_FIELDS",
    "NUMERIC_COLUMNS",
    "PERIOD_FIELDS",
    "Fact",
    "compact_row",
    "count_fields",
    "infer_count_type",
    "list_fields",
    "period_keys",
    "project",
    "retired_id",
    "row_columns",
]


class Fact:
    """One row of the projection plus its list items."""

    __slots__ = ("items", "row")

    def __init__(self, row: dict[str, Any], items: list[tuple[str, str]]) -> None:
        self.row = row
        self.items = items


def count_fields() -> dict[str, tuple[str, ...]]:
    """Fields per record type that `counts --by` accepts (plus the period fields)."""
    return registry.count_fields()


def period_keys(day: dt.date) -> dict[str, str]:
    return dict(_period_keys(day))


@functools.lru_cache(maxsize=4096)
def _period_keys(day: dt.date) -> dict[str, str]:
    """Shared, never mutated: a batch holds a few days, so most records hit the cache."""
    iso = day.isocalendar()
    return {
        "day": day.isoformat(),
        "week": f"{iso.year}-W{iso.week:02d}",
        "month": f"{day.year:04d}-{day.month:02d}",
        "year": f"{day.year:04d}",
    }


_VALUE_COLUMNS = (*FACT_COLUMNS, *NUMERIC_COLUMNS)
_EMPTY_ROW: dict[str, Any] = dict.fromkeys(_VALUE_COLUMNS)
ListValues = Callable[[Any, str], Iterable[str]]


class _Plan:
    """A type's projection, worked out once: hubs project every record they ingest."""

    __slots__ = ("day", "derived", "has_code", "join_items", "list_values", "lists", "values")

    def __init__(self, kind: type) -> None:
        spec = registry.of(kind)
        fields = set(getattr(kind, "__struct_fields__", ()))
        self.day = spec.day
        self.derived = spec.derived
        self.has_code = "client_code" in fields
        # the fact columns a record type has: the others stay None without a getattr each
        self.values = tuple(column for column in _VALUE_COLUMNS if column in fields)
        self.lists = tuple(field for field in spec.counted if field in spec.lists)
        self.list_values: ListValues = spec.list_values or getattr
        self.join_items = spec.join_items


@functools.cache
def _plan(kind: type) -> _Plan | None:
    """None for types that are not counted (a void only retires other records)."""
    return _Plan(kind) if registry.of(kind).countable else None


@functools.cache
def list_fields(kind: type) -> tuple[str, ...]:
    """A type's counted list fields, in `ITEM_FIELDS` order (the hub's list columns)."""
    spec = registry.of(kind)
    return tuple(field for field in ITEM_FIELDS if field in spec.lists)


@functools.cache
def row_columns(kind: type) -> tuple[str, ...]:
    """The keys of `project(record).row` that can hold a value for this record type; the others
    are always None (a writer may leave them to the column default)."""
    plan = _plan(kind)
    if plan is None:
        return ()
    return (
        "id",
        "type",
        *(("client_code",) if plan.has_code else ()),
        *PERIOD_FIELDS,
        *plan.values,
        *registry.of(kind).derived_columns,
    )


def _forget() -> None:
    for cached in (_plan, list_fields, row_columns):
        cached.cache_clear()


registry.on_change(_forget)


def project(record: Record) -> Fact | None:
    """The facts row for a record; None for voids, which only retire other records.

    Hubs project every record they ingest, so this is kept to dictionary work and cached
    lookups (period keys per day, risk level per combination of answers)."""
    plan = _plan(type(record))
    if plan is None:
        return None
    row: dict[str, Any] = dict(_EMPTY_ROW)
    row.update(_period_keys(plan.day(record)))
    row["id"] = record.id
    row["type"] = record.type
    row["client_code"] = record.client_code if plan.has_code else None  # type: ignore[union-attr]
    for column in plan.values:
        value = getattr(record, column)
        if value is not None:
            row[column] = value.isoformat() if isinstance(value, dt.date) else value
    if plan.derived is not None:
        row.update(plan.derived(record))
    items: list[tuple[str, str]] = []
    for field in plan.lists:
        items.extend((field, value) for value in plan.list_values(record, field))
    if plan.join_items is not None:  # the laptop's join keys; a hub groups only `lists`
        items.extend(plan.join_items(record))
    return Fact(row, items)


def compact_row(record: Record) -> dict[str, Any] | None:
    """`project(record)` as one dict with only the columns that have a value, list fields as
    lists: what a PostgreSQL hub sends its server for a facts row (no None to filter out, no
    item rows to regroup). None for voids."""
    plan = _plan(type(record))
    if plan is None:
        return None
    row: dict[str, Any] = dict(_period_keys(plan.day(record)))
    row["id"] = record.id
    row["type"] = record.type
    if plan.has_code and record.client_code is not None:  # type: ignore[union-attr]
        row["client_code"] = record.client_code  # type: ignore[union-attr]
    for column in plan.values:
        value = getattr(record, column)
        if value is not None:
            row[column] = value.isoformat() if isinstance(value, dt.date) else value
    if plan.derived is not None:
        row.update(plan.derived(record))
    for field in plan.lists:
        values = plan.list_values(record, field)
        if values:
            row[field] = list(values)
    return row


def retired_id(record: Record) -> str | None:
    """The id a record takes out of the counts: a void's target or a correction's original."""
    if isinstance(record, Void):
        return record.target
    return record.supersedes


def infer_count_type(fields: list[str]) -> str:
    """The record type whose fields include all of `fields` (first match in registry order)."""
    wanted = [field for field in fields if field not in PERIOD_FIELDS]
    counted = count_fields()
    for kind, allowed in counted.items():
        if all(field in allowed for field in wanted):
            return kind
    unknown = [f for f in wanted if not any(f in allowed for allowed in counted.values())]
    if unknown:
        raise ValueError(f"cannot count by '{unknown[0]}'")
    raise ValueError(f"no single record type has all of: {', '.join(wanted)}")
