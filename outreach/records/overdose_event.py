"""overdose_event — an overdose a worker witnessed or was told of (issue 15, item 1).

Its own record, not a sub-form of a kit resupply: when and where (a day, an optional time of
day, a coarse area and the kind of place), what was suspected, whether naloxone was given (and
then by whom, how many doses, whose kit), whether an ambulance was called and the person taken
to hospital, and the outcome. A survivor's client code is optional. No field holds free text.

A fatal event (outcome "died") is counted like any other and listed on the coordinator's review
list (`outreach.reports.overdose_review`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from outreach.domain.roles import FIELD_STAFF, Access
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType

MAX_DOSES = 20
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
# Asked only when naloxone was given; absent otherwise (not "unknown": nothing was given).
NALOXONE_DETAILS = ("administered_by", "doses", "kit_owner")


class OverdoseEvent(BaseRecord, frozen=True, tag="overdose_event"):
    site: str
    area: str
    occurred_on: dt.date
    location_type: str
    occurred_time: str | None = None  # "HH:MM", local; None when not known
    source: str = "unknown"  # witnessed, or told by whom
    substances: tuple[str, ...] = ()
    naloxone_given: str = "unknown"
    administered_by: str | None = None
    doses: int | None = None
    kit_owner: str | None = None
    ambulance_called: str = "unknown"
    taken_to_hospital: str = "unknown"
    outcome: str = "unknown"
    client_code: str | None = None  # a survivor's code, if they have one

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "location_type": "location_type",
        "source": "overdose_source",
        "naloxone_given": "yes_no_unknown",
        "administered_by": "administered_by",
        "kit_owner": "kit_owner",
        "ambulance_called": "yes_no_unknown",
        "taken_to_hospital": "yes_no_unknown",
        "outcome": "outcome",
    }
    CODED_LISTS: ClassVar[dict[str, str]] = {"substances": "substance"}
    # carries client codes and deaths: the people who work with clients, not pharmacies
    ACCESS: ClassVar[Access] = Access.same(FIELD_STAFF)


def check(record: OverdoseEvent, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_area(record.area)
    checks.check_day(record.occurred_on, now, "occurred_on")
    if record.occurred_time is not None and not _TIME.fullmatch(record.occurred_time):
        raise InvalidRecord(
            "must be the hour and minute, 24-hour clock (e.g. 21:40)", field="occurred_time"
        )
    if record.naloxone_given == "yes":
        if record.doses is not None and not 1 <= record.doses <= MAX_DOSES:
            raise InvalidRecord(f"must be between 1 and {MAX_DOSES}", field="doses")
    else:
        for field in NALOXONE_DETAILS:
            if getattr(record, field) is not None:
                raise InvalidRecord(
                    "only when naloxone was given (naloxone_given is 'yes')", field=field
                )
    if record.client_code is not None:
        checks.check_client_code(record.client_code)
        if record.outcome == "died":
            raise InvalidRecord(
                "a client code is recorded for a survivor only (outcome is 'died')",
                field="client_code",
            )


def summary(record: OverdoseEvent, vocab: Vocabulary) -> str:
    naloxone = {"yes": "naloxone given", "no": "no naloxone"}.get(
        record.naloxone_given, "naloxone not known"
    )
    return " · ".join((vocab.label("outcome", record.outcome), record.area, naloxone))


def day(record: OverdoseEvent) -> dt.date:
    """Counted on the day of the overdose, not the day it was recorded."""
    return record.occurred_on


TYPE = RecordType(
    struct=OverdoseEvent,
    label="Overdose",
    summary=summary,
    check=check,
    counted=(
        "site",
        "area",
        "location_type",
        "administered_by",
        "ambulance_called",
        "outcome",
        "naloxone_given",
        "kit_owner",
        "taken_to_hospital",
        "substances",
    ),
    lists=("substances",),
    day=day,
    help=(
        "an overdose witnessed or heard of: occurred_on, area, location_type, substances, "
        "naloxone_given, ambulance_called, taken_to_hospital, outcome (no names)"
    ),
)
