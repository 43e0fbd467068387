"""kit_issue — one naloxone kit handed out (DESIGN §3)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from outreach.domain.roles import EVERYONE, Access
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import checks
from outreach.records.base import BaseRecord, RecordType


class KitIssue(BaseRecord, frozen=True, tag="kit_issue"):
    site: str
    product: str
    batch: str
    expiry: dt.date
    recipient: str
    supply: str
    training: str
    in_treatment: str = "unknown"
    gtin: str | None = None
    serial: str | None = None
    resupply_reason: str | None = None
    client_code: str | None = None
    contact_id: str | None = None

    CODED: ClassVar[dict[str, str]] = {
        "site": "site",
        "product": "product",
        "recipient": "recipient",
        "supply": "supply",
        "training": "training",
        "in_treatment": "in_treatment",
        "resupply_reason": "resupply_reason",
    }
    # every role supplies kits (pharmacies too) and must be able to correct its mistakes
    ACCESS: ClassVar[Access] = Access.same(EVERYONE)


def check(record: KitIssue, vocab: Vocabulary, now: dt.datetime) -> None:
    checks.check_printable(record.batch, "batch")
    if record.serial is not None:
        checks.check_printable(record.serial, "serial")
    if record.gtin is not None:
        checks.check_gtin(record.gtin)
        known = vocab.product_for_gtin(record.gtin)
        if known is not None and known != record.product:
            raise InvalidRecord(  # labels: a person reads this, never a code
                f"this pack (GTIN {record.gtin}) is {vocab.label('product', known)}, "
                f"not {vocab.label('product', record.product)}: choose the product it is",
                field="gtin",
            )
    if record.expiry < record.occurred_at.date():
        raise InvalidRecord(
            f"this kit expired on {record.expiry:%d %b %Y}: do not hand it out", field="expiry"
        )
    if record.supply == "repeat" and record.resupply_reason is None:
        raise InvalidRecord("a repeat supply needs a resupply reason", field="resupply_reason")
    if record.supply == "first" and record.resupply_reason is not None:
        raise InvalidRecord("a first supply has no resupply reason", field="resupply_reason")
    if record.client_code is not None:
        checks.check_client_code(record.client_code)
    if record.contact_id is not None:
        checks.check_uuid(record.contact_id, "contact_id")


def check_entered(record: KitIssue, vocab: Vocabulary) -> None:
    """New kits: batch and serial as a pack scan could hold them, and a GTIN that names its
    product (records made before these rules stay valid)."""
    checks.check_batch_or_serial(record.batch, "batch")
    if record.serial is not None:
        checks.check_batch_or_serial(record.serial, "serial")
    if record.gtin is not None:
        checks.check_gtin_product(record.gtin, record.product, vocab)


def summary(record: KitIssue, vocab: Vocabulary) -> str:
    return (
        f"{vocab.label('product', record.product)} · batch {record.batch} · "
        f"{vocab.label('supply', record.supply)}"
    )


TYPE = RecordType(
    struct=KitIssue,
    label="Naloxone kit",
    summary=summary,
    check=check,
    check_entered=check_entered,
    counted=(
        "site",
        "product",
        "recipient",
        "supply",
        "resupply_reason",
        "training",
        "in_treatment",
    ),
    help="one naloxone kit handed out: site, product, batch, expiry, recipient, supply, training",
)
