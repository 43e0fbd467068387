"""Follow-ups after a non-fatal overdose (issue 15, item 2): the device's list of follow-ups due
and the coordinator's counts in the commissioner set.

The list reads this device's client summaries (pulled from the hub: events recorded anywhere in
the service) and its own overdose events and follow-ups not yet reflected in them (recorded here
since the last pull), so a worker sees an event the moment it is saved here and the rest of the
service's after a sync. An optional set of areas (postcode districts, or their prefixes) narrows
it to the areas a device covers.

The counts take the non-fatal overdoses with a survivor's code that happened in the period
(follow-ups due) and say how each stands now: done within the window (or before it opened), done
late, not done (window passed), or still open. Read through `run_query` like the rest of the set,
so the same code runs on the laptop's store and a hub's facts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from outreach.domain.roles import Action
from outreach.records import FollowUp, OverdoseEvent, decode_record
from outreach.records.client_summary import ClientSummary, OverdoseFollowUp
from outreach.records.follow_up import DEFAULT_WINDOW, FollowUpWindow, Status, status, window
from outreach.reports.countset import Headline, Table
from outreach.store.store import Store

__all__ = [
    "DEFAULT_WINDOW",
    "DueFollowUp",
    "FollowUpWindow",
    "due_follow_ups",
    "follow_up_counts",
    "tally",
]

RunQuery = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
LIST_DAYS = 14  # an overdue follow-up stays on the list this many days after its window closed
LIST_MAX = 500  # rows the page shows (a service sees a few non-fatal overdoses a week)
_PLAIN = ("json", "arrays")
# The condition of the store's partial index `summaries_with_overdoses` (migration 8), written
# exactly as there so the planner uses it: the msgpack key "overdoses" is in the body.
WITH_OVERDOSES = "instr(body, X'a96f766572646f736573') > 0"
_OPEN = (Status.NOT_YET, Status.DUE, Status.OVERDUE)


@dataclasses.dataclass(frozen=True)
class DueFollowUp:
    """One line of the follow-up list: an event not yet followed up."""

    client_code: str
    event_id: str
    occurred_on: dt.date
    occurred_time: str | None
    area: str
    due_from: dt.datetime
    due_until: dt.datetime
    status: Status


def _covers(areas: Iterable[str] | None, area: str) -> bool:
    wanted = [a.strip().upper() for a in areas or () if a.strip()]
    return not wanted or any(area.upper().startswith(prefix) for prefix in wanted)


def due_follow_ups(
    store: Store,
    now: dt.datetime,
    rule: FollowUpWindow = DEFAULT_WINDOW,
    areas: Iterable[str] | None = None,
) -> list[DueFollowUp]:
    """Events not followed up whose window is open, not yet open, or closed within the last
    `LIST_DAYS` days, soonest deadline first (NotPermitted for a role that may not record
    follow-ups: a pharmacy)."""
    store.require(Action.RECORD, "follow_up")
    store.require(Action.READ, "overdose_event")
    since = now.date() - dt.timedelta(days=LIST_DAYS + rule.until_hours // 24 + 2)
    events = {e.event_id: (code, e) for code, e in _summary_events(store, since)}
    done: set[str] = set()
    for code, event, follow_ups in _local_events(store, since):
        if event is not None:
            held = events.get(event.event_id)
            if held is None or held[1].followed_up_at is None:
                events[event.event_id] = (code, event)
        done.update(follow_ups)
    found: list[DueFollowUp] = []
    for event_id, (code, event) in events.items():
        if event.followed_up_at is not None or event_id in done:
            continue
        if not _covers(areas, event.area):
            continue
        due = window(event.occurred_on, event.occurred_time, rule)
        state = status(due, None, now)
        if state is Status.OVERDUE and now - due[1] > dt.timedelta(days=LIST_DAYS):
            continue
        found.append(
            DueFollowUp(
                code, event_id, event.occurred_on, event.occurred_time, event.area, *due, state
            )
        )
    found.sort(key=lambda item: (item.due_until, item.event_id))
    return found[:LIST_MAX]


def _summary_events(store: Store, since: dt.date) -> list[tuple[str, OverdoseFollowUp]]:
    """(code, event) from the pulled summaries with overdoses active since `since` (the partial
    index of store migration 8: a few rows, not the table)."""
    rows = store.conn.execute(
        f"SELECT body FROM summaries WHERE {WITH_OVERDOSES} AND last_active >= ?",
        (since.isoformat(),),
    ).fetchall()
    decode = msgspec.msgpack.Decoder(ClientSummary).decode
    found = []
    for (body,) in rows:
        summary = decode(bytes(body))
        found += [(summary.client_code, e) for e in summary.overdoses if e.occurred_on >= since]
    return found


def _local_events(
    store: Store, since: dt.date
) -> Iterable[tuple[str, OverdoseFollowUp | None, list[str]]]:
    """This device's own active overdose events with a code and its follow-ups, from `since`:
    (code, event or None, ids of events its follow-ups name)."""
    sql = (
        "SELECT r.body FROM fact_data f JOIN records r ON r.device_seq = f.seq "
        "WHERE f.type = (SELECT id FROM codes WHERE value = :kind) AND f.active = 1 "
        "AND f.day >= :since"
    )
    for kind in ("overdose_event", "follow_up"):
        params = {"kind": kind, "since": since.toordinal()}
        for (body,) in store.conn.execute(sql, params).fetchall():
            record = decode_record(bytes(body))
            if isinstance(record, FollowUp):
                yield record.client_code, None, [record.overdose_event_id]
            elif (
                isinstance(record, OverdoseEvent)
                and record.client_code is not None
                and record.outcome != "died"
            ):
                event = OverdoseFollowUp(
                    event_id=record.id,
                    occurred_on=record.occurred_on,
                    occurred_time=record.occurred_time,
                    area=record.area,
                )
                yield record.client_code, event, []


class _Named(msgspec.Struct):
    """What the counts need of a stored follow-up: msgspec skips the rest."""

    overdose_event_id: str
    occurred_at: dt.datetime


_named = msgspec.msgpack.Decoder(_Named).decode


def _bodies(
    run_query: RunQuery, layout: str, kind: str, start: dt.date, end: dt.date, site: str | None
) -> Sequence[Sequence[Any]]:
    """Bodies of the active records of `kind` counted `start`..`end` (at one site if asked)."""
    plain = layout in _PLAIN
    params: dict[str, Any] = {
        "kind": kind,
        "start": start.isoformat() if plain else start.toordinal(),
        "end": end.isoformat() if plain else end.toordinal(),
    }
    if plain:
        sql = (
            "SELECT r.body FROM facts f JOIN records r ON r.id = f.id "
            "WHERE f.type = :kind AND f.active = 1 AND f.day BETWEEN :start AND :end"
        )
        site_sql = " AND f.site = :site"
    else:
        sql = (
            "SELECT r.body FROM fact_data f JOIN records r ON r.device_seq = f.seq "
            "WHERE f.type = (SELECT id FROM codes WHERE value = :kind) AND f.active = 1 "
            "AND f.day BETWEEN :start AND :end"
        )
        site_sql = " AND f.site = (SELECT id FROM codes WHERE value = :site)"
    if site is not None:
        params["site"] = site
        sql += site_sql
    return run_query(sql, params)


def tally(
    events: Iterable[OverdoseEvent],
    follow_ups: Iterable[tuple[str, dt.datetime]],
    now: dt.datetime,
    rule: FollowUpWindow = DEFAULT_WINDOW,
) -> Counter[str]:
    """Counts by `follow_up_status` code of the non-fatal events with a survivor's code, from
    (event id named, moment) of the follow-ups; an event counts once, by its earliest follow-up
    (one naming an event it corrected counts for the correction)."""
    events = [e for e in events if e.client_code is not None and e.outcome != "died"]
    successor = {e.supersedes: e.id for e in events if e.supersedes is not None}
    first: dict[str, dt.datetime] = {}
    for named, moment in follow_ups:
        seen = {named}
        while named in successor and successor[named] not in seen:
            named = successor[named]
            seen.add(named)
        if named not in first or moment < first[named]:
            first[named] = moment
    counts: Counter[str] = Counter()
    for event in events:
        counts["due"] += 1
        state = status(
            window(event.occurred_on, event.occurred_time, rule), first.get(event.id), now
        )
        if state in (Status.DONE_IN_WINDOW, Status.DONE_EARLY):
            counts["done_in_window"] += 1
        elif state is Status.DONE_LATE:
            counts["done_late"] += 1
        elif state is Status.OVERDUE:
            counts["not_done"] += 1
    return counts


def follow_up_counts(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None,
    layout: str,
    rule: FollowUpWindow = DEFAULT_WINDOW,
    now: dt.datetime | None = None,
) -> tuple[tuple[Headline, ...], Table]:
    """The commissioner set's part: follow-ups due for overdoses in the period (at one site if
    asked) and how each stands now; follow-ups of any site, from the period's start on."""
    now = now or dt.datetime.now(dt.UTC)
    events = []
    for (body,) in _bodies(run_query, layout, "overdose_event", start, end, site):
        record = decode_record(bytes(body))
        if isinstance(record, OverdoseEvent):
            events.append(record)
    follow_ups = [
        (named.overdose_event_id, named.occurred_at)
        for (body,) in _bodies(run_query, layout, "follow_up", start, dt.date.max, None)
        for named in (_named(bytes(body)),)
    ]
    counts = tally(events, follow_ups, now, rule)
    headlines = (
        Headline("follow_ups_due", "Follow-ups due after a non-fatal overdose", counts["due"]),
        Headline(
            "follow_ups_in_window", "Follow-ups done within the window", counts["done_in_window"]
        ),
    )
    statuses = ("due", "done_in_window", "done_late", "not_done") if counts["due"] else ()
    rows = tuple(((code,), counts[code]) for code in statuses)
    title = (
        f"Follow-ups after non-fatal overdoses in the period "
        f"(window {rule.from_hours}-{rule.until_hours} h)"
    )
    return headlines, Table("follow_ups", title, ("status",), rows, ("follow_up_status",))
