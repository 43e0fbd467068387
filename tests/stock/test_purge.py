"""The retention purge keeps the books (issue 12): stock on hand and past counts are the same
after synced records leave the laptop. Regression cases as reported: 17 → −3 stock, 12 → 0 kits.

A real hub (SQLite and PostgreSQL, uvicorn on 127.0.0.1), a real encrypted device store, and the
purge `sync_now` runs after every sync (the hub's retention, 30 days by default).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outreach import stock
from outreach.errors import RepeatSerial
from outreach.records.validation import build_record
from outreach.reports.commissioner import local_counts
from outreach.stock import StockKey
from outreach.store.kit_issue import refuse_repeat_serials
from outreach.store.purge import purged_overlap, purged_serial_day
from outreach.store.store import Store
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from tests.hub.harness import BACKENDS, hub_on, serve_in_thread
from tests.reports.conftest import CODE_A, CODE_B

PHARMACY = StockKey("pharmacy", "nyxoid_1_8mg_nasal", "NX1", dt.date(2030, 3, 31))
TODAY = dt.datetime.now(dt.UTC)
LONG_AGO = TODAY - dt.timedelta(days=45)  # older than the hub's 30-day retention
RECENT = TODAY - dt.timedelta(days=2)


@pytest.fixture(params=BACKENDS)
def enrolled(request: pytest.FixtureRequest, tmp_path: Path, store: Store) -> Iterator[Store]:
    with hub_on(request.param, tmp_path / "hub") as hub, serve_in_thread(hub) as url:
        enrol(store, hub.new_enrolment(url).text())
        yield store


def _save(store: Store, data: dict[str, Any], when: dt.datetime) -> str:
    record = build_record({**data, "occurred_at": when.isoformat()}, recorded_by=store.user)
    store.add([record])
    return record.id


def _kit(key: StockKey, **extra: Any) -> dict[str, Any]:
    return {
        "type": "kit_issue",
        "site": key.site,
        "product": key.product,
        "batch": key.batch,
        "expiry": key.expiry.isoformat(),
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "full",
        **extra,
    }


def _received(key: StockKey, quantity: int) -> dict[str, Any]:
    return {
        "type": "stock_movement",
        "site": key.site,
        "product": key.product,
        "batch": key.batch,
        "expiry": key.expiry.isoformat(),
        "quantity": quantity,
        "movement": "received",
        "reason": "delivery",
    }


def _on_hand(store: Store) -> dict[StockKey, int]:
    return {line.key: line.quantity for line in stock.on_hand(store.conn)}


def test_stock_on_hand_stays_17_after_the_purge_and_the_next_kit_is_issued(
    enrolled: Store,
) -> None:
    """Reported: 20 received 45 days ago, 3 kits this week: 17 on hand, then −3 after the
    purge, and the next kit issue refused for want of stock."""
    _save(enrolled, _received(PHARMACY, 20), LONG_AGO)
    for _ in range(3):
        _save(enrolled, _kit(PHARMACY), RECENT)
    assert _on_hand(enrolled) == {PHARMACY: 17}
    result = sync_now(enrolled)
    assert result.purged == 1  # the receipt left the laptop
    assert enrolled.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 6
    assert _on_hand(enrolled) == {PHARMACY: 17}
    _save(enrolled, _kit(PHARMACY), TODAY)  # refused before: "would go to -4"
    assert _on_hand(enrolled) == {PHARMACY: 16}


def test_a_site_whose_movements_were_all_purged_still_keeps_its_ledger(enrolled: Store) -> None:
    """A kit issue at a site with only purged movements still takes a pack out of stock."""
    _save(enrolled, _received(PHARMACY, 5), LONG_AGO)
    _save(enrolled, _kit(PHARMACY), LONG_AGO)
    assert sync_now(enrolled).purged == 3  # receipt, kit issue and its movement
    assert _on_hand(enrolled) == {PHARMACY: 4}
    _save(enrolled, _kit(PHARMACY), TODAY)
    assert _on_hand(enrolled) == {PHARMACY: 3}


def test_a_days_12_kits_are_still_12_after_the_purge(enrolled: Store) -> None:
    """Reported: 12 kits on one day became 0 in the laptop's counts once purged."""
    van = StockKey("outreach_van", PHARMACY.product, "AB12", dt.date(2030, 5, 31))
    for _ in range(12):
        _save(enrolled, _kit(van), LONG_AGO)
    day = LONG_AGO.date()
    before = enrolled.counts(["day", "product"], day, day, "kit_issue")
    month = (day.replace(day=1), day + dt.timedelta(days=3))
    headline_before = local_counts(enrolled.conn, *month).headline("kits")
    assert before == [{"day": day.isoformat(), "product": van.product, "count": 12}]
    assert sync_now(enrolled).purged == 12
    assert enrolled.record_count() == 0
    assert enrolled.counts(["day", "product"], day, day, "kit_issue") == before
    assert local_counts(enrolled.conn, *month).headline("kits") == headline_before == 12
    assert purged_overlap(enrolled.conn, *month) is not None
    assert purged_overlap(enrolled.conn, TODAY.date(), TODAY.date()) is None


def test_a_purged_kits_pack_serial_is_still_recognised(enrolled: Store) -> None:
    """The repeat-serial check still sees a pack handed out by a purged kit issue."""
    van = StockKey("outreach_van", PHARMACY.product, "AB12", dt.date(2030, 5, 31))
    _save(enrolled, _kit(van, serial="PACK0001"), LONG_AGO)
    assert sync_now(enrolled).purged == 1
    assert purged_serial_day(enrolled.conn, "PACK0001") == LONG_AGO.date()
    again = build_record(_kit(van, serial="PACK0001"), recorded_by="alice")
    with pytest.raises(RepeatSerial):
        refuse_repeat_serials(enrolled, [again])


def test_the_cli_says_when_a_grouping_cannot_count_purged_records(
    enrolled: Store, data_dir: Path
) -> None:
    """`outreach counts` by month keeps the purged kits; a crossing of two fields, which the
    roll-up does not hold, says on stderr that it counts only what is left."""
    from tests.cli.test_cli import run

    van = StockKey("outreach_van", PHARMACY.product, "AB12", dt.date(2030, 5, 31))
    for recipient in ("person_at_risk", "carer", "carer"):
        _save(enrolled, _kit(van, recipient=recipient), LONG_AGO)
    assert sync_now(enrolled).purged == 3
    enrolled.close()
    span = ("--from", LONG_AGO.date().isoformat(), "--to", TODAY.date().isoformat())
    month = run(
        data_dir, "counts", "--by", "month", "--type", "kit_issue", "--format", "json", *span
    )
    assert month.returncode == 0 and "note:" not in month.stderr, month.stderr
    assert [row["count"] for row in json.loads(month.stdout)] == [3]
    crossed = run(data_dir, "counts", "--by", "product,recipient", *span)
    assert crossed.returncode == 0
    assert "note: records from" in crossed.stderr and "counts only what is still here" in (
        crossed.stderr
    )
    status = json.loads(run(data_dir, "status").stdout)
    assert status["records"] == 0 and status["purged"]["records"] == 3
    assert status["purged"]["last"].startswith(TODAY.date().isoformat())


def test_purged_client_codes_leave_the_laptop_and_come_back_cleanly(enrolled: Store) -> None:
    """A client code whose records were all purged is no longer in the codes dictionary; one
    with a recent record stays; the same code recorded again is stored and counted afresh."""
    gone, kept = CODE_A, CODE_B
    contact = {"type": "contact", "site": "outreach_van", "area": "LS6", "setting": "street"}
    _save(enrolled, {**contact, "client_code": gone}, LONG_AGO)
    _save(enrolled, {**contact, "client_code": kept}, LONG_AGO)
    _save(enrolled, {**contact, "client_code": kept}, RECENT)
    assert sync_now(enrolled).purged == 2

    def stored(code: str) -> bool:
        row = enrolled.conn.execute("SELECT 1 FROM codes WHERE value = ?", (code,)).fetchone()
        return row is not None

    assert not stored(gone) and stored(kept)
    _save(enrolled, {**contact, "client_code": gone}, TODAY)
    assert stored(gone)
    assert [s.record.id for s in enrolled.recent(client_code=gone)] != []
    assert [s.record.id for s in enrolled.recent(client_code=kept)] != []
