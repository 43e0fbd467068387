"""stock_movement — the pharmacy and service stock ledger (DESIGN §3)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from outreach.domain.roles import STOCK_KEEPERS, Access
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType

MAX_QUANTITY = 100_000


class StockMovement(BaseRecord, frozen=True, tag="stock_movement"):
    site: str
    product: str
    batch: str
    expiry: dt.date
    quantity: int
    movement: str
    gtin: str | None = None
    reason: str | None = None
    kit_issue_id: str | None = None

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "product": "product",
        "movement": "movement",
        "reason": "stock_reason",
    }
    # the ledger is kept by pharmacies and the office; a worker's kit issue writes its `issued`
    # movement as a companion (outreach.stock.companion), which is not the worker's own write
    ACCESS: ClassVar[Access] = Access.same(STOCK_KEEPERS)


def check(record: StockMovement, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_printable(record.batch, "batch")
    if record.gtin is not None:
        checks.check_gtin(record.gtin)
    if record.movement == "count_adjustment":
        if record.quantity == 0 or abs(record.quantity) > MAX_QUANTITY:
            raise InvalidRecord("an adjustment must change the count", field="quantity")
    elif not 0 < record.quantity <= MAX_QUANTITY:
        raise InvalidRecord(
            "must be a positive number of packs (only a count adjustment can be negative)",
            field="quantity",
        )
    if record.kit_issue_id is not None:
        checks.check_uuid(record.kit_issue_id, "kit_issue_id")


def check_entered(record: StockMovement, vocab: Vocabulary) -> None:
    """New movements: the batch as a pack scan could hold it, a GTIN that names its product."""
    checks.check_batch_or_serial(record.batch, "batch")
    if record.gtin is not None:
        checks.check_gtin_product(record.gtin, record.product, vocab)


def summary(record: StockMovement, vocab: Vocabulary) -> str:
    return f"{vocab.label('movement', record.movement)} {record.quantity}"


TYPE = RecordType(
    struct=StockMovement,
    label="Stock",
    summary=summary,
    check=check,
    check_entered=check_entered,
    counted=("site", "product", "movement", "reason", "batch", "expiry"),
    help="stock ledger: site, product, batch, expiry, quantity, movement, reason",
)
