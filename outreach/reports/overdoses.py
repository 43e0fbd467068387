"""Overdose events in the reports (issue 15, item 1): the commissioner set's counts and the
coordinator's review list of fatal events.

Fatal events are counted with the others (outcome "died") and listed one by one for the
coordinator, who reviews practice after a death. The list holds codes, the area (a postcode
district) and the day only: no client code, no free text.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from outreach.domain.roles import Action
from outreach.records import OverdoseEvent, decode_record
from outreach.reports.countset import Cell, Headline, Table
from outreach.store.counts import Layout, count_query

if TYPE_CHECKING:
    from outreach.store.store import Store

RunQuery = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
KIND = "overdose_event"
REVIEW_LIMIT = 500  # the review list shows the newest this many (a service sees a few a year)


def overdose_counts(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    *,
    layout: Layout = "coded",
) -> tuple[tuple[Headline, ...], tuple[Table, ...]]:
    """Headlines (events, deaths) and tables (by outcome, by area) for the commissioner set."""
    margins: dict[str, Counter[Cell]] = {"outcome": Counter(), "area": Counter()}
    for field in margins:
        sql, params, _ = count_query(["site", field], start, end, KIND, layout=layout)
        for row in run_query(sql, params):
            if site is None or row[0] == site:
                margins[field][row[1]] += int(row[2])
    headlines = (
        Headline("overdose_events", "Overdose events", sum(margins["outcome"].values())),
        Headline("overdose_deaths", "Overdose events: died", margins["outcome"]["died"]),
    )
    tables = tuple(
        Table(
            f"overdose_events_by_{field}",
            f"Overdose events by {field}",
            (field,),
            tuple(((code,), n) for code, n in _ordered(margins[field])),
            (vocab,),
        )
        for field, vocab in (("outcome", "outcome"), ("area", ""))
    )
    return headlines, tables


def _ordered(counter: Counter[Cell]) -> list[tuple[Cell, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0] or ""))


@dataclass(frozen=True)
class FatalEvent:
    """One line of the review list: what a coordinator needs to start a review."""

    record_id: str
    occurred_on: dt.date
    occurred_time: str | None
    area: str
    location_type: str
    substances: tuple[str, ...]
    naloxone_given: str
    ambulance_called: str
    recorded_by: str


def fatal_events(store: Store, since: dt.date | None = None) -> list[FatalEvent]:
    """Active overdose events with outcome "died" on this device, newest first (NotPermitted
    for a role that may not read overdose events)."""
    store.require(Action.READ, KIND)
    sql = (
        "SELECT r.body FROM fact_data f JOIN records r ON r.device_seq = f.seq "
        "WHERE f.type = (SELECT id FROM codes WHERE value = :kind) "
        "AND f.outcome = (SELECT id FROM codes WHERE value = 'died') AND f.active = 1 "
        "AND f.day >= :since ORDER BY f.day DESC, f.seq DESC LIMIT :limit"
    )
    params = {
        "kind": KIND,
        "since": (since or dt.date.min).toordinal(),
        "limit": REVIEW_LIMIT,
    }
    found: list[FatalEvent] = []
    for (body,) in store.conn.execute(sql, params).fetchall():
        record = decode_record(body)
        if isinstance(record, OverdoseEvent):
            found.append(
                FatalEvent(
                    record.id,
                    record.occurred_on,
                    record.occurred_time,
                    record.area,
                    record.location_type,
                    record.substances,
                    record.naloxone_given,
                    record.ambulance_called,
                    record.recorded_by,
                )
            )
    return found


def prevention_counts(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    *,
    layout: Layout = "coded",
) -> tuple[tuple[Headline, ...], tuple[Table, ...]]:
    """What issue 15 adds to the commissioner set: overdose events and the referral funnel
    (one call from `commissioner_counts`, so that module keeps its own shape)."""
    from outreach.reports.referral_funnel import funnel_counts

    headlines, tables = overdose_counts(run_query, start, end, site, layout=layout)
    funnel_headlines, funnel_table = funnel_counts(run_query, start, end, site, layout=layout)
    return (*headlines, *funnel_headlines), (*tables, funnel_table)
