"""The stock ledger: on hand equals the movements, never negative without a count, kit issues."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach import stock
from outreach.errors import InvalidRecord, StockError
from outreach.records.validation import build_record
from outreach.stock import StockKey
from outreach.store.store import Store

SITE = "pharmacy"
NYX = StockKey(SITE, "nyxoid_1_8mg_nasal", "NX1", dt.date(2030, 3, 31))
NYX_SOON = StockKey(SITE, "nyxoid_1_8mg_nasal", "NX0", dt.date(2026, 2, 15))
PRE = StockKey(SITE, "prenoxad_2mg_syringe", "PR7", dt.date(2030, 6, 30))
TODAY = dt.date(2026, 1, 1)


def kit(store: Store, key: StockKey, **fields: object) -> str:
    data = {
        "type": "kit_issue",
        "site": key.site,
        "product": key.product,
        "batch": key.batch,
        "expiry": key.expiry.isoformat(),
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "full",
        **fields,
    }
    record, _ = store.add_new(data)
    return record.id


def held(store: Store) -> dict[StockKey, int]:
    return {line.key: line.quantity for line in stock.on_hand(store.conn)}


def test_scripted_month_matches_the_ledger(store: Store) -> None:
    """A month of receipts, kit issues, returns, write-offs and a transfer adds up by hand."""
    stock.receive(store, NYX, 20)
    stock.receive(store, PRE, 10)
    stock.receive(store, NYX_SOON, 5)
    for _ in range(6):
        kit(store, NYX)
    stock.issue(store, PRE, 2)
    stock.return_to_stock(store, PRE, 1)
    stock.write_off(store, NYX_SOON, 2, "damaged")
    stock.write_off(store, PRE, 1, "recalled")
    stock.transfer(store, NYX, "outreach_van", 4)
    assert held(store) == {NYX: 20 - 6 - 4, PRE: 10 - 2 + 1 - 1, NYX_SOON: 5 - 2} | {
        StockKey("outreach_van", NYX.product, NYX.batch, NYX.expiry): 4
    }
    assert stock.on_hand(store.conn, SITE)[0].key == NYX_SOON  # soonest expiry first


def test_stock_cannot_go_negative_without_a_count(store: Store) -> None:
    """Issuing more than on hand is refused and nothing is written; a count adjusts explicitly."""
    stock.receive(store, NYX, 2)
    before = store.record_count()
    with pytest.raises(StockError, match="not enough stock"):
        stock.issue(store, NYX, 3)
    with pytest.raises(StockError):
        stock.write_off(store, NYX, 5, "expired")
    assert store.record_count() == before
    assert stock.quantity_of(store.conn, NYX) == 2
    changes = stock.record_count(store, NYX, 7)
    assert changes is not None and changes.touches("stock_movement")
    assert stock.quantity_of(store.conn, NYX) == 7
    assert stock.record_count(store, NYX, 7) is None  # the count agrees: nothing to write
    stock.record_count(store, NYX, 0)
    assert stock.quantity_of(store.conn, NYX) == 0


def test_explicit_negative_adjustment_is_allowed(store: Store) -> None:
    """A count adjustment record may take a line below zero: it is the explicit override."""
    stock.receive(store, NYX, 1)
    record = build_record(
        {
            "type": "stock_movement",
            "site": SITE,
            "product": NYX.product,
            "batch": NYX.batch,
            "expiry": NYX.expiry.isoformat(),
            "quantity": -3,
            "movement": "count_adjustment",
        },
        recorded_by=store.user,
    )
    store.add([record])
    assert stock.quantity_of(store.conn, NYX) == -2


def test_kit_issue_at_a_ledger_site_writes_its_movement_in_the_same_write(store: Store) -> None:
    """The issued movement comes with the kit, and goes with it when the kit is voided."""
    stock.receive(store, NYX, 3)
    record, changes = store.add_new(
        {
            "type": "kit_issue",
            "site": SITE,
            "product": NYX.product,
            "batch": NYX.batch,
            "expiry": NYX.expiry.isoformat(),
            "recipient": "carer",
            "supply": "first",
            "training": "brief",
        }
    )
    assert changes.touches("kit_issue", "stock_movement")
    assert len(changes.added) == 2
    assert stock.quantity_of(store.conn, NYX) == 2
    movement = store.get(changes.added[1])
    assert movement is not None and movement.record.kit_issue_id == record.id  # type: ignore[union-attr]
    void_changes = store.void(record.id, "entered_in_error")
    assert len(void_changes.retired) == 2
    assert stock.quantity_of(store.conn, NYX) == 3


def test_kit_issue_refused_when_the_batch_is_not_in_stock(store: Store) -> None:
    """At a ledger site, handing out a batch the ledger does not hold needs receiving first."""
    stock.receive(store, NYX, 1)
    kit(store, NYX)
    with pytest.raises(StockError, match="NX1"):
        kit(store, NYX)
    with pytest.raises(StockError, match="PR7"):
        kit(store, PRE)


def test_sites_without_a_ledger_issue_kits_freely(store: Store) -> None:
    """A kit issue where no stock is kept writes no movement and is never refused."""
    stock.receive(store, NYX, 1)
    _, changes = store.add_new(
        {
            "type": "kit_issue",
            "site": "outreach_van",
            "product": NYX.product,
            "batch": "ANY",
            "expiry": "2030-01-31",
            "recipient": "carer",
            "supply": "first",
            "training": "brief",
        }
    )
    assert changes.types == frozenset({"kit_issue"})


def test_voiding_a_receipt_that_was_used_is_refused(store: Store) -> None:
    """Taking back a receipt whose packs were issued would make stock negative."""
    changes = stock.receive(store, NYX, 2)
    stock.issue(store, NYX, 2)
    with pytest.raises(StockError):
        store.void(changes.added[0], "entered_in_error")


def test_first_expiry_first_skips_expired_and_empty_batches(store: Store) -> None:
    """The suggestion is the soonest-expiring usable batch of that product."""
    expired = StockKey(SITE, NYX.product, "OLD", dt.date(2025, 12, 1))
    stock.receive(store, NYX, 2)
    stock.receive(store, NYX_SOON, 1)
    stock.receive(store, expired, 1)
    assert stock.first_expiry_first(store.conn, SITE, NYX.product, TODAY).key == NYX_SOON  # type: ignore[union-attr]
    stock.issue(store, NYX_SOON, 1)
    assert stock.first_expiry_first(store.conn, SITE, NYX.product, TODAY).key == NYX  # type: ignore[union-attr]
    assert stock.first_expiry_first(store.conn, SITE, "other_nasal", TODAY) is None


def test_alerts_for_expiry_and_minimum_levels(store: Store) -> None:
    """Expired, expiring within 60 days, and below-minimum products are all flagged."""
    expired = StockKey(SITE, NYX.product, "OLD", dt.date(2025, 12, 1))
    stock.receive(store, NYX, 2)
    stock.receive(store, NYX_SOON, 1)
    stock.receive(store, expired, 1)
    stock.set_minimum(store, SITE, NYX.product, 5)
    stock.set_minimum(store, SITE, PRE.product, 1)
    found = {(a.kind, a.batch or a.product): a.quantity for a in stock.alerts(store, TODAY)}
    assert found == {
        ("expired", "OLD"): 1,
        ("expiring", "NX0"): 1,
        ("below_minimum", NYX.product): 3,
        ("below_minimum", PRE.product): 0,
    }
    stock.set_minimum(store, SITE, PRE.product, 0)
    assert stock.minimums(store) == {(SITE, NYX.product): 5}


def test_receive_by_scan_reads_product_batch_and_expiry(store: Store) -> None:
    """A GS1 pack scan fills product (by GTIN), batch and expiry; bad scans are explained."""
    key, _ = stock.receive_scan(
        store, SITE, "]d2010500045603128817270331" + "10NX9", 3, today=TODAY
    )
    assert key == StockKey(SITE, NYX.product, "NX9", dt.date(2027, 3, 31))
    assert stock.quantity_of(store.conn, key) == 3
    with pytest.raises(InvalidRecord, match="not a naloxone product"):
        stock.receive_scan(store, SITE, "(01)09501101020917(17)270331(10)X", today=TODAY)
    with pytest.raises(InvalidRecord, match="expired"):
        stock.receive_scan(store, SITE, "(01)05000456031288(17)250331(10)X", today=TODAY)


def test_bad_quantities_and_transfers_are_clear_errors(store: Store) -> None:
    """Zero packs, an unknown write-off and a transfer to the same site are refused."""
    with pytest.raises(InvalidRecord):
        stock.receive(store, NYX, 0)
    with pytest.raises(InvalidRecord, match="write off"):
        stock.write_off(store, NYX, 1, "lost")
    with pytest.raises(InvalidRecord, match="different site"):
        stock.transfer(store, NYX, SITE, 1)


def test_correcting_a_kit_issue_moves_its_movement_to_the_new_batch(store: Store) -> None:
    """A correction voids the old issued movement and writes one for the corrected batch."""
    stock.receive(store, NYX, 2)
    stock.receive(store, PRE, 2)
    original = kit(store, NYX)
    assert stock.quantity_of(store.conn, NYX) == 1
    kit(store, PRE, supersedes=original)
    assert stock.quantity_of(store.conn, NYX) == 2
    assert stock.quantity_of(store.conn, PRE) == 1


def test_a_receipt_refuses_a_batch_number_a_gs1_scan_could_not_carry(store: Store) -> None:
    """Typed batch numbers follow the one GS1 rule the kit form and `outreach record` use."""
    with pytest.raises(InvalidRecord) as refused:
        stock.receive(store, StockKey(SITE, NYX.product, "AB 12", NYX.expiry), 1)
    assert refused.value.field == "batch"
    assert stock.on_hand(store.conn) == []
