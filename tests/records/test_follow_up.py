"""Follow-ups after a non-fatal overdose (issue 15, item 2): the window worked out by hand (GMT,
BST, no time of day), status at each edge, validation with the field named, reference data, the
summary rule (due, closed, voided, fatal, a year old, a pharmacy's view) and the counts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
import pytest

from outreach.errors import InvalidRecord
from outreach.records import FollowUp, OverdoseEvent, Void, facts
from outreach.records.follow_up import FollowUpWindow, Status, status, window
from outreach.records.summarise import last_active, summarise, visible_to
from outreach.records.validation import build_entered
from outreach.reports.follow_ups import tally
from outreach.sync.protocol import Reference
from tests.records.test_summarise import contact

UTC = dt.UTC
CODE = "KX7F2"
TODAY = dt.date(2026, 11, 20)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_window_with_a_time_in_winter_is_24_to_72_hours_after() -> None:
    # 3 Nov 2026 is GMT (UTC+0): 21:40 local is 21:40 UTC
    assert window(dt.date(2026, 11, 3), "21:40") == (at("2026-11-04T21:40"), at("2026-11-06T21:40"))


def test_window_in_summer_time_is_an_hour_earlier_in_utc() -> None:
    # 10 Jul 2026 is BST (UTC+1): 10:00 local is 09:00 UTC
    assert window(dt.date(2026, 7, 10), "10:00") == (at("2026-07-11T09:00"), at("2026-07-13T09:00"))


def test_window_without_a_time_is_the_widest_the_day_allows() -> None:
    # from the day's start + 24 h to its end (4 Nov 00:00) + 72 h
    assert window(dt.date(2026, 11, 3), None) == (at("2026-11-04T00:00"), at("2026-11-07T00:00"))


def test_window_from_reference_data() -> None:
    rule = FollowUpWindow(from_hours=12, until_hours=48)
    assert window(dt.date(2026, 11, 3), "08:00", rule) == (
        at("2026-11-03T20:00"),
        at("2026-11-05T08:00"),
    )


def test_status_at_each_edge() -> None:
    due = (at("2026-11-04T21:40"), at("2026-11-06T21:40"))
    assert status(due, None, at("2026-11-04T21:39")) is Status.NOT_YET
    assert status(due, None, at("2026-11-04T21:40")) is Status.DUE
    assert status(due, None, at("2026-11-06T21:40")) is Status.DUE
    assert status(due, None, at("2026-11-06T21:41")) is Status.OVERDUE
    now = at("2026-12-01T00:00")
    assert status(due, at("2026-11-04T08:00"), now) is Status.DONE_EARLY
    assert status(due, at("2026-11-06T21:40"), now) is Status.DONE_IN_WINDOW
    assert status(due, at("2026-11-06T21:41"), now) is Status.DONE_LATE


def test_a_window_in_reference_data_is_checked() -> None:
    assert Reference().follow_up == FollowUpWindow(24, 72)
    got = msgspec.json.decode(
        b'{"follow_up": {"from_hours": 6, "until_hours": 30}}', type=Reference
    )
    assert got.follow_up == FollowUpWindow(6, 30)
    for bad in (b'{"from_hours": 72, "until_hours": 24}', b'{"from_hours": -1, "until_hours": 5}'):
        with pytest.raises(msgspec.ValidationError, match="follow-up window"):
            msgspec.json.decode(b'{"follow_up": ' + bad + b"}", type=Reference)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"follow_up": {"from_hours": 1, "until_hours": 721}}', type=Reference)


def entry(**changes: Any) -> dict[str, Any]:
    from outreach.domain.client_code import make_client_code

    code = make_client_code(b"k" * 32, "JS", dt.date(1990, 1, 1), "m")
    data = {
        "type": "follow_up",
        "site": "outreach_van",
        "overdose_event_id": str(uuid.uuid4()),
        "client_code": code,
        "outcome": "kit_supplied",
    }
    return {**data, **changes}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"overdose_event_id": "not-an-id"}, "overdose_event_id"),
        ({"client_code": "KX7F3"}, "client_code"),
        ({"outcome": "cured"}, "outcome"),
        ({"outcome": None}, "outcome"),
        ({"note": "said he was fine"}, "note"),
    ],
)
def test_validation_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        build_entered(entry(**changes), recorded_by="wendy")
    assert caught.value.field == field


def test_a_follow_up_is_projected_by_site_and_outcome() -> None:
    record = build_entered(entry(), recorded_by="wendy")
    assert isinstance(record, FollowUp)
    fact = facts.project(record)
    assert fact is not None
    assert (fact.row["site"], fact.row["outcome"]) == ("outreach_van", "kit_supplied")


def overdose(day: str, time: str | None = "21:40", **fields: Any) -> OverdoseEvent:
    base: dict[str, Any] = {
        "site": "outreach_van",
        "area": "LS6",
        "location_type": "street",
        "outcome": "survived",
        "client_code": CODE,
    }
    return OverdoseEvent(
        id=str(uuid.uuid4()),
        occurred_at=at(day + "T23:00"),
        recorded_by="a",
        occurred_on=dt.date.fromisoformat(day),
        occurred_time=time,
        **{**base, **fields},
    )


def follow(event: OverdoseEvent, moment: str, outcome: str = "reached") -> FollowUp:
    return FollowUp(
        id=str(uuid.uuid4()),
        occurred_at=at(moment),
        recorded_by="b",
        site="outreach_van",
        overdose_event_id=event.id,
        client_code=CODE,
        outcome=outcome,
    )


def test_a_code_known_only_from_an_overdose_has_a_summary_with_the_event_due() -> None:
    event = overdose("2026-11-18")
    summary = summarise(CODE, [event], TODAY)
    assert summary is not None
    assert summary.first_seen == dt.date(2026, 11, 18)
    assert [(e.event_id, e.area, e.followed_up_at) for e in summary.overdoses] == [
        (event.id, "LS6", None)
    ]
    assert last_active(summary) == dt.date(2026, 11, 18)


def test_a_follow_up_closes_it_and_a_void_of_the_follow_up_reopens_it() -> None:
    event = overdose("2026-11-18")
    later, first = (
        follow(event, "2026-11-20T09:00", "kit_supplied"),
        follow(event, "2026-11-19T22:00", "not_found"),
    )
    summary = summarise(CODE, [event, later, first], TODAY)
    assert summary is not None
    (held,) = summary.overdoses
    assert (held.followed_up_at, held.follow_up_outcome) == (at("2026-11-19T22:00"), "not_found")
    assert last_active(summary) == dt.date(2026, 11, 19)
    undo = Void(
        id=str(uuid.uuid4()),
        occurred_at=at("2026-11-20T10:00"),
        recorded_by="b",
        target=first.id,
        reason="entered_in_error",
    )
    summary = summarise(CODE, [event, later, first, undo], TODAY)
    assert summary is not None
    assert summary.overdoses[0].follow_up_outcome == "kit_supplied"


def test_fatal_voided_year_old_and_other_codes_events_are_not_follow_ups() -> None:
    old = overdose("2025-11-20")  # 365 days before TODAY: out
    voided = overdose("2026-11-10")
    undo = Void(
        id=str(uuid.uuid4()),
        occurred_at=at("2026-11-11T10:00"),
        recorded_by="a",
        target=voided.id,
        reason="entered_in_error",
    )
    other = overdose("2026-11-12", client_code="AB3C4")
    kept = overdose("2025-11-21")  # 364 days before: in
    seen = contact("2026-11-01")
    summary = summarise(CODE, [old, voided, undo, other, kept, seen], TODAY)
    assert summary is not None
    assert [e.event_id for e in summary.overdoses] == [kept.id]
    assert summarise(CODE, [old, voided, undo], TODAY) is None


def test_a_pharmacy_does_not_see_overdoses() -> None:
    summary = summarise(CODE, [overdose("2026-11-18"), contact("2026-11-01")], TODAY)
    assert summary is not None
    pharmacy = visible_to(summary, "pharmacy")
    assert pharmacy is not None and pharmacy.overdoses == ()
    worker = visible_to(summary, "worker")
    assert worker is not None and len(worker.overdoses) == 1


def test_counts_by_status_worked_by_hand() -> None:
    # windows (GMT): a 1 Nov 10:00 → 2 Nov 10:00..4 Nov 10:00; b 2 Nov, no time → 3 Nov 00:00..
    # 6 Nov 00:00; c 5 Nov 20:00 → 6 Nov 20:00..8 Nov 20:00; d 18 Nov 12:00 → 19 Nov..21 Nov
    # 12:00; e died; f has no survivor code.
    a, b = overdose("2026-11-01", "10:00"), overdose("2026-11-02", None)
    c, d = overdose("2026-11-05", "20:00"), overdose("2026-11-18", "12:00")
    e = overdose("2026-11-06", outcome="died", client_code=None)
    f = overdose("2026-11-07", client_code=None)
    corrected = msgspec.structs.replace(c, id=str(uuid.uuid4()), supersedes=c.id)
    done = [
        (a.id, at("2026-11-04T10:00")),  # a: at the window's end: within
        (a.id, at("2026-11-01T12:00")),  # a: an earlier one, before the window: within
        (b.id, at("2026-11-06T00:01")),  # b: a minute late
        (c.id, at("2026-11-07T09:00")),  # c (named before its correction): within
    ]
    counts = tally([a, b, corrected, d, e, f], done, at("2026-11-20T12:00"))
    assert counts == {"due": 4, "done_in_window": 2, "done_late": 1}
    # d's window closes 21 Nov 12:00: not done after that
    later = tally([a, b, corrected, d, e, f], done, at("2026-11-21T12:01"))
    assert later == {"due": 4, "done_in_window": 2, "done_late": 1, "not_done": 1}


def test_a_recent_overdose_keeps_an_old_code_active_and_the_device_head_reads_it() -> None:
    """A code last seen at a contact a year and a half ago overdoses now: the summary is active
    now (pull scope, the device's list index), and the device's head of it says so."""
    from outreach.records.client_summary import SummaryHead

    event = overdose("2026-11-18")
    summary = summarise(
        CODE, [contact("2025-05-01"), event, follow(event, "2026-11-19T22:00")], TODAY
    )
    assert summary is not None and summary.last_overdose == dt.date(2026, 11, 19)
    head = msgspec.msgpack.decode(msgspec.msgpack.encode(summary), type=SummaryHead)
    assert last_active(head) == last_active(summary) == dt.date(2026, 11, 19)
    pharmacy = visible_to(summary, "pharmacy")
    assert pharmacy is not None and pharmacy.last_overdose is None
