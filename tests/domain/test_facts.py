"""The two forms of a record's counting projection say the same thing."""

from __future__ import annotations

from typing import Any

import pytest

from outreach.domain.ids import uuid7
from outreach.records import Record
from outreach.records.facts import compact_row, project
from outreach.records.validation import build_record
from tests.samples import CONTACT, KIT, NALOXONE_USE

RECORDS: list[dict[str, Any]] = [
    CONTACT,
    {
        **CONTACT,
        "client_code": None,
        "age_band": "25_34",
        "injecting": "current",
        "substances": ["heroin", "crack"],
        "risk_factors": ["previous_overdose", "using_alone"],
        "interventions": ["naloxone_training"],
        "referrals": [{"to": "drug_treatment"}, {"to": "gp"}],
    },
    KIT,
    {**KIT, "supply": "repeat", "resupply_reason": "used_on_other", "serial": "SN1"},
    NALOXONE_USE,
    {
        "type": "stock_movement",
        "site": "pharmacy",
        "product": "nyxoid_1_8mg_nasal",
        "batch": "NX1",
        "expiry": "2030-03-31",
        "quantity": 12,
        "movement": "received",
    },
    {"type": "void", "target": uuid7(), "reason": "entered_in_error"},
]


def from_project(record: Record) -> dict[str, Any] | None:
    """`project`'s row and items in the compact form: set columns only, lists grouped."""
    fact = project(record)
    if fact is None:
        return None
    row = {key: value for key, value in fact.row.items() if value is not None}
    for field, value in fact.items:
        row.setdefault(field, []).append(value)
    return row


@pytest.mark.parametrize("data", RECORDS, ids=[data["type"] for data in RECORDS])
def test_compact_row_is_project_without_the_empty_columns(data: dict[str, Any]) -> None:
    record = build_record({k: v for k, v in data.items() if v is not None}, recorded_by="t")
    assert compact_row(record) == from_project(record)
