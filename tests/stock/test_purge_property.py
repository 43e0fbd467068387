"""Property (issue 12): for any history of saves, voids, corrections, stock moves, syncs and
purges, stock on hand per (site, product, batch, expiry) and every roll-up cell are the same
before and after each purge.

Each example is a fresh encrypted store enrolled with a real hub (SQLite, uvicorn on 127.0.0.1);
a sync is `sync_now`, which ends with the purge at the hub's retention (30 days), and a purge
step runs `outbox.purge_synced` at another retention. Records are dated from 60 days ago to
today, so both purge the older part of what the hub acked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from outreach.errors import InvalidRecord, StockError
from outreach.hub.service import Hub
from outreach.records import Record
from outreach.records.facts import count_fields
from outreach.records.validation import build_record
from outreach.stock.ledger import StockKey, balances
from outreach.store.counts import count_query
from outreach.store.counts import counts as local_counts
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync import outbox
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from tests.hub.harness import make_hub, serve_in_thread
from tests.samples import CONTACT, FAST_KDF, KIT, NALOXONE_USE, PASSPHRASE
from tests.store.test_rollup import _groupings, _period_groupings

NOW = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
AGES = (60, 45, 35, 31, 20, 5, 1, 0)  # days before today that records occur on
SITES = ("pharmacy", "outreach_van")
BATCHES = ("NX1", "NX2")
EXPIRY = dt.date(2030, 5, 31)
EVER = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
MOVES = ("received", "issued", "returned", "written_off_damaged", "transfer", "count")


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, str]]:
    hub = make_hub(tmp_path_factory.mktemp("hub"))
    with serve_in_thread(hub) as url:
        yield hub, url


def _when(draw: st.DrawFn) -> dt.datetime:
    return NOW - dt.timedelta(days=draw(st.sampled_from(AGES)), minutes=draw(st.integers(0, 600)))


@st.composite
def steps(draw: st.DrawFn) -> list[tuple[str, Any]]:
    """Saves (contacts, kits, use reports), stock moves, voids, corrections, syncs, purges."""
    out: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 18))):
        action = draw(
            st.sampled_from(["save", "save", "move", "move", "void", "correct", "sync", "purge"])
        )
        if action == "save":
            kind = draw(st.sampled_from(["contact", "kit", "kit", "use"]))
            site, batch = draw(st.sampled_from(SITES)), draw(st.sampled_from(BATCHES))
            out.append(("save", (kind, site, batch, _when(draw), draw(st.booleans()))))
        elif action == "move":
            key = StockKey(
                draw(st.sampled_from(SITES)), KIT["product"], draw(st.sampled_from(BATCHES)), EXPIRY
            )
            out.append(
                ("move", (draw(st.sampled_from(MOVES)), key, draw(st.integers(1, 12)), _when(draw)))
            )
        elif action == "purge":
            out.append(
                ("purge", (draw(st.sampled_from((1, 10, 30, 40, 50))), draw(st.integers(0, 3))))
            )
        else:
            out.append((action, draw(st.integers(0, 50))))
    return out


def _record(data: dict[str, Any], when: dt.datetime) -> Record:
    return build_record({**data, "occurred_at": when.isoformat()}, recorded_by="alice")


def _save(kind: str, site: str, batch: str, when: dt.datetime, serial: bool) -> list[Record]:
    if kind == "contact":
        return [_record({**CONTACT, "site": site, "substances": ["heroin"]}, when)]
    if kind == "use":
        return [
            _record({**NALOXONE_USE, "site": site, "occurred_on": when.date().isoformat()}, when)
        ]
    extra = {"serial": f"S{when:%j%H%M}"} if serial else {}
    return [_record({**KIT, "site": site, "batch": batch, **extra}, when)]


def _movement(key: StockKey, movement: str, quantity: int, when: dt.datetime) -> Record:
    data = {
        "type": "stock_movement",
        "site": key.site,
        "product": key.product,
        "batch": key.batch,
        "expiry": key.expiry.isoformat(),
        "quantity": quantity,
        "movement": movement,
        "reason": {
            "count_adjustment": "stock_count",
            "transfer_in": "transfer",
            "transfer_out": "transfer",
            "received": "delivery",
            "issued": "supplied_to_client",
            "returned": "other",
        }.get(movement, "damaged"),
    }
    return _record(data, when)


def _move(store: Store, move: str, key: StockKey, quantity: int, when: dt.datetime) -> None:
    if move == "transfer":
        other = StockKey(SITES[1 - SITES.index(key.site)], key.product, key.batch, key.expiry)
        store.add(
            [
                _movement(key, "transfer_out", quantity, when),
                _movement(other, "transfer_in", quantity, when),
            ]
        )
    elif move == "count":  # a physical count that differs from the books by `quantity - 6`
        if quantity != 6:
            store.add([_movement(key, "count_adjustment", quantity - 6, when)])
    else:
        store.add([_movement(key, move, quantity, when)])


def books(store: Store) -> tuple[dict[StockKey, int], list[tuple[Any, ...]], dict[Any, Any]]:
    """Stock on hand (non-zero lines), every roll-up cell, and every count the roll-up answers
    (one field by site and day, and by week, month or year)."""
    stock = {key: n for key, n in balances(store.conn).items() if n}
    cells = store.conn.execute("SELECT * FROM fact_rollup ORDER BY 1, 2, 3, 4, 5").fetchall()
    counts = {}
    for kind in count_fields():
        for by in _groupings(kind):
            sql, params, _ = count_query(by, *EVER, kind, layout="rollup")
            counts[kind, tuple(by)] = store.conn.execute(sql, params).fetchall()
        for by in _period_groupings(kind):  # weeks, months, years: summed from the daily cells
            counts[kind, tuple(by)] = local_counts(store.conn, by, *EVER, kind)
    return stock, cells, counts


def _live(store: Store) -> list[Record]:
    return [s.record for s in store.recent(limit=500) if s.active and s.record.type != "void"]


def _apply(store: Store, action: str, value: Any) -> None:
    if action == "save":
        store.add(_save(*value))
    elif action == "move":
        _move(store, *value)
    elif action == "void" and (live := _live(store)):
        store.void(live[value % len(live)].id, "duplicate")
    elif action == "correct" and (
        live := [r for r in _live(store) if r.type in ("contact", "kit_issue")]
    ):
        target = live[value % len(live)]
        data = msgspec.to_builtins(target)
        data = {k: v for k, v in data.items() if k not in ("id", "recorded_by", "supersedes")}
        store.add(
            [
                build_record(
                    {**data, "type": target.type, "supersedes": target.id}, recorded_by="alice"
                )
            ]
        )


def _purging(store: Store, action: str, value: Any) -> int:
    """Run a sync or a purge; both end in a purge. Returns how many records it deleted."""
    if action == "sync":
        return sync_now(store).purged
    days, hours_later = value
    return outbox.purge_synced(store, days, now=NOW + dt.timedelta(hours=hours_later))


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps())
def test_purges_never_change_stock_on_hand_or_any_rollup_count(
    tmp_path_factory: pytest.TempPathFactory,
    hub_url: tuple[Hub, str],
    history: list[tuple[str, Any]],
) -> None:
    hub, url = hub_url
    store, _ = create_store(
        tmp_path_factory.mktemp("dev"), "alice", "coordinator", PASSPHRASE, kdf=FAST_KDF
    )
    with store:
        enrol(store, hub.new_enrolment(url).text())
        for action, value in history:
            if action not in ("sync", "purge"):
                with contextlib.suppress(StockError, InvalidRecord):  # refused: nothing saved
                    _apply(store, action, value)
                continue
            before, records = books(store), store.record_count()
            purged = _purging(store, action, value)
            assert store.record_count() == records - purged
            event("a purge deleted records" if purged else "a purge deleted nothing")
            assert books(store) == before, (action, value)
