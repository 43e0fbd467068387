"""A flat, queryable projection of records, shared by the laptop store and the hub.

Records are kept whole and immutable; counts run over this projection instead: one row per
countable record (scalar fields as columns) and one item row per value of a list field.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from outreach.domain.records import Contact, NaloxoneUse, Record, Void
from outreach.domain.risk import risk_level

# Scalar fields that can be counted, in column order of the facts table.
FACT_COLUMNS: tuple[str, ...] = (
    "site",
    "area",
    "setting",
    "age_band",
    "gender",
    "in_treatment",
    "injecting",
    "product",
    "recipient",
    "supply",
    "resupply_reason",
    "training",
    "location_type",
    "administered_by",
    "ambulance_called",
    "stayed_with_person",
    "outcome",
    "movement",
    "reason",
    "batch",
    "expiry",
    "risk_level",
)
NUMERIC_COLUMNS: tuple[str, ...] = ("quantity", "doses")
PERIOD_FIELDS: tuple[str, ...] = ("day", "week", "month", "year")
ITEM_FIELDS: tuple[str, ...] = ("substances", "risk_factors", "interventions", "referrals")
# Fields per record type that `counts --by` accepts (plus the period fields).
COUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "contact": (
        "site",
        "area",
        "setting",
        "age_band",
        "gender",
        "in_treatment",
        "injecting",
        "risk_level",
        "substances",
        "risk_factors",
        "interventions",
        "referrals",
    ),
    "kit_issue": (
        "site",
        "product",
        "recipient",
        "supply",
        "resupply_reason",
        "training",
        "in_treatment",
    ),
    "naloxone_use": (
        "site",
        "location_type",
        "administered_by",
        "product",
        "ambulance_called",
        "stayed_with_person",
        "outcome",
    ),
    "stock_movement": ("site", "product", "movement", "reason", "batch", "expiry"),
}


class Fact:
    """One row of the projection plus its list items."""

    __slots__ = ("items", "row")

    def __init__(self, row: dict[str, Any], items: list[tuple[str, str]]) -> None:
        self.row = row
        self.items = items


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


@functools.cache
def _value_columns(kind: type) -> tuple[str, ...]:
    """The fact columns a record type has: the others stay None without a getattr each."""
    fields = set(getattr(kind, "__struct_fields__", ()))
    return tuple(column for column in _VALUE_COLUMNS if column in fields)


@functools.cache
def row_columns(kind: type) -> tuple[str, ...]:
    """The keys of `project(record).row` that can hold a value for this record type; the others
    are always None (a writer may leave them to the column default)."""
    fields = set(getattr(kind, "__struct_fields__", ()))
    risk = ("risk_level",) if kind is Contact else ()
    return (
        "id",
        "type",
        *(("client_code",) if "client_code" in fields else ()),
        *PERIOD_FIELDS,
        *_value_columns(kind),
        *risk,
    )


def project(record: Record) -> Fact | None:
    """The facts row for a record; None for voids, which only retire other records.

    Hubs project every record they ingest, so this is kept to dictionary work and cached
    lookups (period keys per day, risk level per combination of answers)."""
    if isinstance(record, Void):
        return None
    day = record.occurred_at.date()
    if isinstance(record, NaloxoneUse):
        day = record.occurred_on
    row: dict[str, Any] = dict(_EMPTY_ROW)
    row.update(_period_keys(day))
    row["id"] = record.id
    row["type"] = record.type
    row["client_code"] = getattr(record, "client_code", None)
    for column in _value_columns(type(record)):
        value = getattr(record, column)
        if value is not None:
            row[column] = value.isoformat() if isinstance(value, dt.date) else value
    items: list[tuple[str, str]] = []
    if isinstance(record, Contact):
        row["risk_level"] = risk_level(
            record.risk_factors, record.substances, record.injecting, record.age_band
        )
        items.extend(("substances", value) for value in record.substances)
        items.extend(("risk_factors", value) for value in record.risk_factors)
        items.extend(("interventions", value) for value in record.interventions)
        items.extend(("referrals", referral.to) for referral in record.referrals)
    return Fact(row, items)


def compact_row(record: Record) -> dict[str, Any] | None:
    """`project(record)` as one dict with only the columns that have a value, list fields as
    lists: what a PostgreSQL hub sends its server for a facts row (no None to filter out, no
    item rows to regroup). None for voids."""
    if isinstance(record, Void):
        return None
    row: dict[str, Any] = dict(
        _period_keys(
            record.occurred_on if isinstance(record, NaloxoneUse) else record.occurred_at.date()
        )
    )
    row["id"] = record.id
    row["type"] = record.type
    client_code = getattr(record, "client_code", None)
    if client_code is not None:
        row["client_code"] = client_code
    for column in _value_columns(type(record)):
        value = getattr(record, column)
        if value is not None:
            row[column] = value.isoformat() if isinstance(value, dt.date) else value
    if isinstance(record, Contact):
        row["risk_level"] = risk_level(
            record.risk_factors, record.substances, record.injecting, record.age_band
        )
        for field, values in (
            ("substances", record.substances),
            ("risk_factors", record.risk_factors),
            ("interventions", record.interventions),
            ("referrals", [referral.to for referral in record.referrals]),
        ):
            if values:
                row[field] = list(values)
    return row


def retired_id(record: Record) -> str | None:
    """The id a record takes out of the counts: a void's target or a correction's original."""
    if isinstance(record, Void):
        return record.target
    return record.supersedes


def infer_count_type(fields: list[str]) -> str:
    """The record type whose fields include all of `fields` (first match in dictionary order)."""
    wanted = [field for field in fields if field not in PERIOD_FIELDS]
    for kind, allowed in COUNT_FIELDS.items():
        if all(field in allowed for field in wanted):
            return kind
    unknown = [f for f in wanted if not any(f in allowed for allowed in COUNT_FIELDS.values())]
    if unknown:
        raise ValueError(f"cannot count by '{unknown[0]}'")
    raise ValueError(f"no single record type has all of: {', '.join(wanted)}")
