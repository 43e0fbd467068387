"""Field checks shared by record types (ids, GS1 text, GTINs, areas, client codes).

Each raises `InvalidRecord` naming the field, in words a person can act on. The rules of one
record type live in its own module and are made of these.
"""

from __future__ import annotations

import datetime as dt
import re

from outreach.domain import ids
from outreach.domain.client_code import is_valid_client_code
from outreach.errors import InvalidRecord

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(days=1)  # device clocks drift; anything further ahead is a typo
MAX_CODE_TEXT = 20  # GS1 batch and serial are at most 20 characters

_POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
_FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}$")
_GS1_TEXT = re.compile(r"^[!-~]{1,20}$")
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


def check_gs1_text(value: str, field: str) -> None:
    if not _GS1_TEXT.match(value):
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
