"""Issue 15's scripted scenario on a real hub (uvicorn; SQLite and PostgreSQL), real encrypted
stores: an overdose with a survivor's code recorded on worker A is a due follow-up on worker B
(same area) after both sync; B's follow-up closes it on the coordinator's side (its list and the
hub's counts); a fatal event is counted and on the review list. The window is the hub's
reference data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from outreach.domain.client_code import make_client_code
from outreach.hub.service import Hub
from outreach.records.follow_up import UK, FollowUpWindow, Status
from outreach.records.validation import build_entered
from outreach.reports.countset import CountSet
from outreach.reports.follow_ups import due_follow_ups
from outreach.reports.overdoses import fatal_events
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.reference import follow_up_window, service_key
from outreach.sync.service_counts import fetch_service_counts
from tests.samples import FAST_KDF, PASSPHRASE

NOW = dt.datetime.now(dt.UTC)
HAPPENED = (NOW - dt.timedelta(hours=36)).astimezone(UK)  # within 24-72 h: due now


@pytest.fixture
def device(hub: Hub, hub_url: str, tmp_path: Path) -> Iterator[Callable[..., Store]]:
    made: list[Store] = []

    def make(name: str, role: str = "worker") -> Store:
        store, _ = create_store(tmp_path / name, name, role, PASSPHRASE, kdf=FAST_KDF)
        enrol(store, hub.new_enrolment(hub_url, role=role).text())
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def overdose(**changes: Any) -> dict[str, Any]:
    return {
        "type": "overdose_event",
        "site": "outreach_van",
        "area": "LS6",
        "occurred_on": HAPPENED.date().isoformat(),
        "occurred_time": HAPPENED.strftime("%H:%M"),
        "location_type": "street",
        "naloxone_given": "yes",
        "outcome": "survived",
        **changes,
    }


def service(store: Store) -> CountSet:
    period = f"{HAPPENED.date().isoformat()}..{NOW.date().isoformat()}"
    answer = fetch_service_counts(store, period, exact=True)
    import msgspec

    return CountSet.from_wire(msgspec.to_builtins(answer))


def headline(counts: CountSet, name: str) -> int:
    return int(next(h.value for h in counts.headlines if h.name == name))


def test_a_survivor_on_a_is_due_on_b_and_bs_follow_up_closes_it(
    device: Callable[..., Store],
) -> None:
    a, b, coordinator = device("a"), device("b"), device("cora", "coordinator")
    code = make_client_code(service_key(a), "JS", dt.date(1990, 1, 1), "m")
    survived = build_entered(overdose(client_code=code), recorded_by="a")
    died = build_entered(overdose(outcome="died", area="LS7"), recorded_by="a")
    a.add([survived, died])
    # A sees its own event at once (not yet synced); the fatal one is on its review list
    assert [d.event_id for d in due_follow_ups(a, NOW)] == [survived.id]
    assert [e.record_id for e in fatal_events(a)] == [died.id]
    assert due_follow_ups(b, NOW) == []
    sync_now(a)
    sync_now(b)

    (due,) = due_follow_ups(b, NOW, follow_up_window(b), areas=["LS6"])
    assert (due.client_code, due.event_id, due.area, due.status) == (
        code,
        survived.id,
        "LS6",
        Status.DUE,
    )
    start = HAPPENED.replace(second=0, microsecond=0)
    assert (due.due_from, due.due_until) == (
        (start + dt.timedelta(hours=24)).astimezone(dt.UTC),
        (start + dt.timedelta(hours=72)).astimezone(dt.UTC),
    )
    assert due_follow_ups(b, NOW, areas=["LS7", "M1"]) == []  # another device's areas
    sync_now(coordinator)
    before = service(coordinator)
    assert (headline(before, "follow_ups_due"), headline(before, "follow_ups_in_window")) == (1, 0)
    assert headline(before, "overdose_deaths") == 1
    assert [d.event_id for d in due_follow_ups(coordinator, NOW)] == [survived.id]

    follow_up = build_entered(
        {
            "type": "follow_up",
            "site": "outreach_van",
            "overdose_event_id": due.event_id,
            "client_code": due.client_code,
            "outcome": "kit_supplied",
        },
        recorded_by="b",
    )
    b.add([follow_up])
    assert due_follow_ups(b, NOW) == []  # closed on B at once
    sync_now(b)
    sync_now(coordinator)
    assert due_follow_ups(coordinator, NOW) == []
    after = service(coordinator)
    assert (headline(after, "follow_ups_due"), headline(after, "follow_ups_in_window")) == (1, 1)
    table = next(t for t in after.tables if t.name == "follow_ups")
    assert dict(((key[0], n) for key, n in table.rows)) == {
        "due": 1,
        "done_in_window": 1,
        "done_late": 0,
        "not_done": 0,
    }
    sync_now(a)
    assert due_follow_ups(a, NOW) == []  # A's list learns of B's follow-up from the hub


def test_the_window_is_the_hubs_reference_data(hub: Hub, device: Callable[..., Store]) -> None:
    """A 1-24 h window: the same event 36 h ago is overdue on B and counted not done."""
    ref = hub.reference()
    import msgspec

    hub.set_reference(msgspec.structs.replace(ref, follow_up=FollowUpWindow(1, 24)))
    a, b, coordinator = device("a"), device("b"), device("cora", "coordinator")
    code = make_client_code(service_key(a), "JS", dt.date(1990, 1, 1), "m")
    a.add([build_entered(overdose(client_code=code), recorded_by="a")])
    sync_now(a)
    sync_now(b)
    assert follow_up_window(b) == FollowUpWindow(1, 24)
    (due,) = due_follow_ups(b, NOW, follow_up_window(b))
    assert due.status is Status.OVERDUE
    sync_now(coordinator)
    table = next(t for t in service(coordinator).tables if t.name == "follow_ups")
    assert dict(((key[0], n) for key, n in table.rows))["not_done"] == 1
