"""follow_up — a worker's follow-up of a survivor after a non-fatal overdose (issue 15, item 2).

An overdose event with a survivor's client code makes a follow-up due: from `from_hours` to
`until_hours` after the overdose (reference data, `FollowUpWindow`; default 24–72 hours). The
event reaches every device through the survivor's service summary (`ClientSummary.overdoses`);
a `follow_up` record names the event (`overdose_event_id`) and closes it with one outcome code
(reached, not found, declined, referred, kit supplied: the furthest that happened). It carries
the survivor's code too, so the hub links it to that code's summary like any record with a code.

When: the follow-up is the moment of `occurred_at` (the form's day and time). The overdose is
its day and, if known, its time of day (UK local time); a time not known makes the window the
widest the day allows (from the day's start + from_hours to its end + until_hours), so a follow-up
is never counted late because the time was not written down. No free text anywhere.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from outreach.domain.roles import FIELD_STAFF, Access
from outreach.domain.vocab import Vocabulary
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType

MAX_WINDOW_HOURS = 24 * 30  # a window reference data may set: up to 30 days
try:
    UK = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - a system without tz data: GMT all year
    UK = ZoneInfo("UTC")


class FollowUp(BaseRecord, frozen=True, tag="follow_up"):
    site: str
    overdose_event_id: str
    client_code: str  # the survivor's, as on the event
    outcome: str  # follow_up_outcome

    CODED: ClassVar[dict[str, str]] = {"site": "site", "outcome": "follow_up_outcome"}
    # the people who work with clients, as overdose events (no pharmacy)
    ACCESS: ClassVar[Access] = Access.same(FIELD_STAFF)


class FollowUpWindow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Reference data: a follow-up is due from `from_hours` to `until_hours` after the overdose."""

    from_hours: int = 24
    until_hours: int = 72

    def __post_init__(self) -> None:
        if not 0 <= self.from_hours < self.until_hours <= MAX_WINDOW_HOURS:
            raise ValueError(
                f"follow-up window must satisfy 0 <= from_hours < until_hours <= "
                f"{MAX_WINDOW_HOURS} (got {self.from_hours}, {self.until_hours})"
            )


DEFAULT_WINDOW = FollowUpWindow()


class Status(enum.StrEnum):
    """Where a follow-up stands at a moment (`status`)."""

    NOT_YET = "not_yet"  # the window has not opened
    DUE = "due"  # open, not done
    OVERDUE = "overdue"  # closed, not done
    DONE_IN_WINDOW = "done_in_window"
    DONE_EARLY = "done_early"  # before the window opened (counted as done within it)
    DONE_LATE = "done_late"


def window(
    occurred_on: dt.date, occurred_time: str | None, rule: FollowUpWindow = DEFAULT_WINDOW
) -> tuple[dt.datetime, dt.datetime]:
    """(due from, due until) as UTC datetimes for an overdose on that day (and time, UK)."""
    if occurred_time is None:
        start = dt.datetime.combine(occurred_on, dt.time(), UK)
        end = dt.datetime.combine(occurred_on + dt.timedelta(days=1), dt.time(), UK)
    else:
        hour, minute = (int(part) for part in occurred_time.split(":"))
        start = end = dt.datetime.combine(occurred_on, dt.time(hour, minute), UK)
    return (
        (start + dt.timedelta(hours=rule.from_hours)).astimezone(dt.UTC),
        (end + dt.timedelta(hours=rule.until_hours)).astimezone(dt.UTC),
    )


def status(
    due: tuple[dt.datetime, dt.datetime], done_at: dt.datetime | None, now: dt.datetime
) -> Status:
    """Where a follow-up with window `due`, done at `done_at` (None: not done), stands at `now`."""
    start, end = due
    if done_at is not None:
        if done_at < start:
            return Status.DONE_EARLY
        return Status.DONE_IN_WINDOW if done_at <= end else Status.DONE_LATE
    if now < start:
        return Status.NOT_YET
    return Status.DUE if now <= end else Status.OVERDUE


def check(record: FollowUp, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_uuid(record.overdose_event_id, "overdose_event_id")
    checks.check_client_code(record.client_code)


def summary(record: FollowUp, vocab: Vocabulary) -> str:
    return f"{vocab.label('follow_up_outcome', record.outcome)} · after an overdose"


TYPE = RecordType(
    struct=FollowUp,
    label="Follow-up",
    summary=summary,
    check=check,
    counted=("site", "outcome"),
    help=(
        "a follow-up after a non-fatal overdose: overdose_event_id, client_code, outcome "
        "(reached, not_found, declined, referred, kit_supplied)"
    ),
)
