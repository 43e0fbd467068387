"""Field checks shared by record types (ids, GS1 text, GTINs, areas, client codes).

Each raises `InvalidRecord` naming the field, in words a person can act on. The rules of one
record type live in its own module and are made of these.
"""

from __future__ import annotations

import datetime as dt
import re

from outreach.domain import ids
from outreach.domain.client_code import is_valid_client_code
from outreach.domain.gs1_text import MAX_CODE_TEXT, check_batch_or_serial
from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord

__all__ = [
    "CLOCK_SKEW",
    "EARLIEST",
    "MAX_CODE_TEXT",
    "NO_FIXED_ABODE",
    "check_area",
    "check_batch_or_serial",
    "check_client_code",
    "check_day",
    "check_gtin",
    "check_gtin_product",
    "check_printable",
    "check_uuid",
    "normalise_area",
]

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(days=1)  # device clocks drift; anything further ahead is a typo

_POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
_FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}$")
# What records made before GS1 set 82 was enforced hold: printable ASCII without spaces.
_PRINTABLE_TEXT = re.compile(r"^[!-~]{1,20}$")
NO_FIXED_ABODE = "NFA"
_NFA_SPELLINGS = {"NFA", "NO FIXED ABODE", "NO_FIXED_ABODE"}


def check_area(area: str) -> None:
    """Areas are coarse on purpose: a postcode district (LS6) or NFA, never a full postcode."""
    if area in _NFA_SPELLINGS:
        return
    if _FULL_POSTCODE.match(area.upper()) and not _POSTCODE_DISTRICT.match(area.upper()):
        raise InvalidRecord(
            "looks like a full postcode: record only the district (e.g. 'LS6')", field="area"
        )
    if not _POSTCODE_DISTRICT.match(area):
        raise InvalidRecord(
            "must be a postcode district in capitals (e.g. 'LS6') or 'NFA'", field="area"
        )


def normalise_area(text: str) -> str:
    """What a person types → the stored form (upper case, NFA for no fixed abode)."""
    cleaned = " ".join(text.strip().upper().split())
    return NO_FIXED_ABODE if cleaned in _NFA_SPELLINGS else cleaned


def check_gtin(gtin: str) -> None:
    if not (len(gtin) == 14 and gtin.isdigit()):
        raise InvalidRecord("a GTIN has 14 digits", field="gtin")
    digits = [int(c) for c in gtin]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    if (10 - total % 10) % 10 != digits[-1]:
        raise InvalidRecord("GTIN check digit is wrong (mistyped or misread)", field="gtin")


def check_gtin_product(gtin: str, product: str, vocab: Vocabulary) -> None:
    """A GTIN names its product: a listed GTIN must be the chosen product's, and an unlisted one
    is accepted only under a product with no GTINs of its own (the "other" entries). Otherwise a
    pack nobody knows would be counted, recalled and stocked as whatever product was selected."""
    check_gtin(gtin)
    known = vocab.product_for_gtin(gtin)
    if known is not None:
        if known != product:
            raise InvalidRecord(  # labels: a person reads this, never a code
                f"this pack (GTIN {gtin}) is {vocab.label('product', known)}, "
                f"not {vocab.label('product', product)}: choose the product it is",
                field="gtin",
            )
        return
    if any(entry.code == product and entry.gtins for entry in vocab.products):
        raise InvalidRecord(
            f"GTIN {gtin} is not {vocab.label('product', product)} nor any product on the "
            "list: check the number, or record the pack as an 'Other' product",
            field="gtin",
        )


def check_printable(value: str, field: str) -> None:
    """What every stored batch and serial holds (older records predate set 82)."""
    if not _PRINTABLE_TEXT.fullmatch(value):
        raise InvalidRecord(
            f"must be 1–{MAX_CODE_TEXT} printable characters with no spaces", field=field
        )


def check_uuid(value: str, field: str) -> None:
    if not ids.is_uuid(value):
        raise InvalidRecord("must be a record id (UUID)", field=field)


def check_client_code(code: str) -> None:
    if not is_valid_client_code(code):
        raise InvalidRecord(
            "is not a valid client code (a character was mistyped)", field="client_code"
        )


def check_day(day: dt.date, now: dt.datetime, field: str) -> None:
    """A date an event happened on: not before 2000, not in the future."""
    if day > now.date() + CLOCK_SKEW:
        raise InvalidRecord("is in the future", field=field)
    if day < EARLIEST.date():
        raise InvalidRecord("is before the year 2000", field=field)
