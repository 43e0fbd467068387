"""What a pharmacy does with stock, each as one validated write through `Store.add`.

Every function builds `stock_movement` records with `build_record` (so the code lists and
quantity rules apply) and returns the store's `Changes`; a receipt, where a batch enters the books,
also passes the rules for what a person enters now (`build_entered`: a GS1 batch number), while the
moves of a batch already held accept it as it was recorded. The ledger rules (no negative stock, a
kit issue's matching movement) are enforced inside the store, whoever writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.errors import InvalidRecord, StockError
from outreach.records import Record
from outreach.records.validation import build_entered, build_record
from outreach.stock.ledger import StockKey, quantity_of
from outreach.store.store import Changes, Store
from outreach.store.vocabulary import current_vocabulary

WRITE_OFFS = {
    "expired": ("written_off_expired", "expired"),
    "damaged": ("written_off_damaged", "damaged"),
    "recalled": ("recalled", "recall"),
}


def _movement(
    store: Store,
    key: StockKey,
    movement: str,
    quantity: int,
    *,
    entered: bool = False,
    **extra: Any,
) -> Record:
    data = {
        "type": "stock_movement",
        "site": key.site,
        "product": key.product,
        "batch": key.batch,
        "expiry": key.expiry.isoformat(),
        "quantity": quantity,
        "movement": movement,
        **{name: value for name, value in extra.items() if value is not None},
    }
    build = build_entered if entered else build_record
    return build(data, recorded_by=store.user, vocab=current_vocabulary(store))


def receive(
    store: Store, key: StockKey, quantity: int, *, gtin: str | None = None, reason: str = "delivery"
) -> Changes:
    """Packs arriving from a supplier."""
    received = _movement(store, key, "received", quantity, entered=True, gtin=gtin, reason=reason)
    return store.add([received])


def receive_scan(
    store: Store,
    site: str,
    scan: str,
    quantity: int = 1,
    *,
    vocab: Vocabulary | None = None,
    today: dt.date | None = None,
) -> tuple[StockKey, Changes]:
    """Receive packs from one pack scan: product from the GTIN, batch and expiry from the code."""
    from outreach.domain.gs1 import parse_pack_scan  # biip is slow to import: not at start

    pack = parse_pack_scan(scan)
    product = (vocab or base_vocabulary()).product_for_gtin(pack.gtin)
    if product is None:
        raise InvalidRecord(
            f"GTIN {pack.gtin} is not a naloxone product this service knows", field="gtin"
        )
    if pack.expiry < (today or dt.date.today()):
        raise InvalidRecord(
            f"this pack expired on {pack.expiry:%d %b %Y}: do not take it into stock",
            field="expiry",
        )
    key = StockKey(site, product, pack.batch, pack.expiry)
    return key, receive(store, key, quantity, gtin=pack.gtin)


def issue(store: Store, key: StockKey, quantity: int = 1) -> Changes:
    """Packs handed out without a kit-issue record (a kit issue writes its own movement)."""
    return store.add([_movement(store, key, "issued", quantity, reason="supplied_to_client")])


def return_to_stock(store: Store, key: StockKey, quantity: int, reason: str = "other") -> Changes:
    """Unused packs coming back into stock."""
    return store.add([_movement(store, key, "returned", quantity, reason=reason)])


def write_off(store: Store, key: StockKey, quantity: int, why: str) -> Changes:
    """Take packs out of stock as expired, damaged or recalled."""
    if why not in WRITE_OFFS:
        raise InvalidRecord(f"write off as one of: {', '.join(WRITE_OFFS)}", field="movement")
    movement, reason = WRITE_OFFS[why]
    return store.add([_movement(store, key, movement, quantity, reason=reason)])


def transfer(store: Store, key: StockKey, to_site: str, quantity: int) -> Changes:
    """Move packs between sites: out of one and into the other in one transaction."""
    if to_site == key.site:
        raise InvalidRecord("a transfer needs a different site", field="site")
    arriving = StockKey(to_site, key.product, key.batch, key.expiry)
    return store.add(
        [
            _movement(store, key, "transfer_out", quantity, reason="transfer"),
            _movement(store, arriving, "transfer_in", quantity, reason="transfer"),
        ]
    )


def record_count(store: Store, key: StockKey, counted: int) -> Changes | None:
    """A physical count: write the difference as a count adjustment; None when it agrees."""
    if counted < 0:
        raise StockError("a count cannot be below zero")
    difference = counted - quantity_of(store.conn, key)
    if difference == 0:
        return None
    return store.add([_movement(store, key, "count_adjustment", difference, reason="stock_count")])
