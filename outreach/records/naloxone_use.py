"""naloxone_use — reported when a kit was used (resupply for use) (DESIGN §3)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from outreach.domain.roles import EVERYONE, Access
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType

MAX_DOSES = 20


class NaloxoneUse(BaseRecord, frozen=True, tag="naloxone_use"):
    site: str
    occurred_on: dt.date
    location_type: str
    administered_by: str
    product: str
    doses: int = 1
    ambulance_called: str = "unknown"
    stayed_with_person: str = "unknown"
    outcome: str = "unknown"
    kit_issue_id: str | None = None

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "location_type": "location_type",
        "administered_by": "administered_by",
        "product": "product",
        "ambulance_called": "yes_no_unknown",
        "stayed_with_person": "yes_no_unknown",
        "outcome": "outcome",
    }
    # reported with a resupply wherever the kit is handed out; no client code
    ACCESS: ClassVar[Access] = Access.same(EVERYONE)


def check(record: NaloxoneUse, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_day(record.occurred_on, now, "occurred_on")
    if not 1 <= record.doses <= MAX_DOSES:
        raise InvalidRecord(f"must be between 1 and {MAX_DOSES}", field="doses")
    if record.kit_issue_id is not None:
        checks.check_uuid(record.kit_issue_id, "kit_issue_id")


def summary(record: NaloxoneUse, vocab: Vocabulary) -> str:
    return f"{vocab.label('outcome', record.outcome)} · {record.doses} dose(s)"


def day(record: NaloxoneUse) -> dt.date:
    """Counted on the day the kit was used, not the day it was reported."""
    return record.occurred_on


TYPE = RecordType(
    struct=NaloxoneUse,
    label="Naloxone use",
    summary=summary,
    check=check,
    counted=(
        "site",
        "location_type",
        "administered_by",
        "product",
        "ambulance_called",
        "stayed_with_person",
        "outcome",
    ),
    day=day,
    help="a kit was used: occurred_on, location_type, administered_by, product, doses, outcome",
)
