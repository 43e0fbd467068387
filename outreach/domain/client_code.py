"""Pseudonymous client codes (DESIGN.md section 3).

A worker types initials, date of birth and sex at the moment of contact; only a keyed hash
of them is kept, so the same person gets the same code on every visit while nobody without
the service key can work back from a code to the small space of possible inputs.

    code = CrockfordBase32(HMAC-SHA256(service_key, "JS|1990-02-17|F"))[:10] + check

The check character is Crockford's mod-37 symbol over the integer value of the ten base-32
characters. Because 37 is prime and does not divide 32, every single-character substitution
and every swap of two adjacent characters changes the remainder, so a mistyped code is
refused instead of silently pointing at someone else's history.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import unicodedata

from outreach.errors import InvalidRecord

__all__ = [
    "CODE_LENGTH",
    "InvalidClientCode",
    "format_client_code",
    "is_valid_client_code",
    "make_client_code",
    "new_service_key",
    "normalise_client_code",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base-32 symbols: no I, L, O or U, so handwriting and speech are less ambiguous."""

CHECK_SYMBOLS = ALPHABET + "*~$=U"
"""Crockford's 37 check symbols; the five extra ones only ever appear in the check position."""

BODY_LENGTH = 10
CODE_LENGTH = BODY_LENGTH + 1
SERVICE_KEY_BYTES = 32
MIN_SERVICE_KEY_BYTES = 16
EARLIEST_DATE_OF_BIRTH = datetime.date(1900, 1, 1)

_CONFUSABLES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " -\t\u00a0\u2010\u2011\u2012\u2013\u2014")

_SEX_CODES = {
    "male": "M",
    "m": "M",
    "female": "F",
    "f": "F",
    "other": "X",
    "x": "X",
    "not_stated": "N",
}


class InvalidClientCode(InvalidRecord):
    """A typed client code is malformed or fails its check character."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="client_code")


def new_service_key() -> bytes:
    """Return a fresh random service key for a standalone install."""
    return secrets.token_bytes(SERVICE_KEY_BYTES)


def make_client_code(
    service_key: bytes,
    initials: str,
    date_of_birth: datetime.date,
    sex: str,
    *,
    today: datetime.date | None = None,
) -> str:
    """Return the 11-character client code; the typed values themselves are never kept.

    `today` exists so tests (and a device with a known-bad clock) can pin "the past".
    """
    if not isinstance(service_key, bytes | bytearray) or len(service_key) < MIN_SERVICE_KEY_BYTES:
        raise ValueError(f"service key must be at least {MIN_SERVICE_KEY_BYTES} bytes")
    message = "|".join(
        (
            _normalise_initials(initials),
            _normalise_date_of_birth(date_of_birth, today).isoformat(),
            _normalise_sex(sex),
        )
    )
    digest = hmac.new(bytes(service_key), message.encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:7], "big") >> (7 * 8 - BODY_LENGTH * 5)
    body = _encode(value)
    return body + _check_symbol(value)


def normalise_client_code(text: str) -> str:
    """Return the canonical code for what a worker typed, or raise `InvalidClientCode`.

    Spaces and hyphens are dropped, case is ignored, and I/L/O are read as 1/1/0, as
    Crockford base 32 intends, so a code read aloud or copied by hand still matches.
    """
    if not isinstance(text, str):
        raise InvalidClientCode("client code must be text")
    code = text.translate(_SEPARATORS).upper().translate(_CONFUSABLES)
    if not code:
        raise InvalidClientCode("client code is empty")
    if len(code) != CODE_LENGTH:
        raise InvalidClientCode(
            f"client code must be {CODE_LENGTH} characters, got {len(code)}: "
            "check for a missing or extra character"
        )
    body, check = code[:BODY_LENGTH], code[BODY_LENGTH]
    bad = sorted({ch for ch in body if ch not in ALPHABET})
    if bad:
        raise InvalidClientCode(
            f"client code contains characters that are never used: {''.join(bad)}"
        )
    if check not in CHECK_SYMBOLS:
        raise InvalidClientCode(f"last character {check!r} is not a valid check character")
    if _check_symbol(_decode(body)) != check:
        raise InvalidClientCode("check character does not match: a character was mistyped")
    return code


def is_valid_client_code(text: str) -> bool:
    """Return whether `text` is a well-formed client code (after normalisation)."""
    try:
        normalise_client_code(text)
    except InvalidClientCode:
        return False
    return True


def format_client_code(code: str) -> str:
    """Return the code grouped for reading aloud or copying, e.g. ``ABCDE-FGHJK-M``."""
    canonical = normalise_client_code(code)
    return f"{canonical[:5]}-{canonical[5:10]}-{canonical[10]}"


def _normalise_initials(initials: str) -> str:
    """Keep the two initials as uppercase letters without accents, so "é.s" and "ES" match."""
    if not isinstance(initials, str):
        raise InvalidRecord("initials must be text", field="initials")
    decomposed = unicodedata.normalize("NFKD", initials)
    letters = [ch for ch in decomposed if not unicodedata.combining(ch) and ch.isalpha()]
    if len(letters) != 2:
        raise InvalidRecord(
            f"type exactly 2 initials (first name and last name), got {len(letters)} letters",
            field="initials",
        )
    return "".join(ch.upper() for ch in letters)


def _normalise_date_of_birth(
    date_of_birth: datetime.date, today: datetime.date | None
) -> datetime.date:
    """Accept only plausible past dates, so a slip of the year does not mint a new person."""
    if isinstance(date_of_birth, datetime.datetime):
        date_of_birth = date_of_birth.date()
    if not isinstance(date_of_birth, datetime.date):
        raise InvalidRecord("date of birth must be a date", field="date_of_birth")
    today = today or datetime.date.today()
    if date_of_birth >= today:
        raise InvalidRecord("date of birth must be in the past", field="date_of_birth")
    if date_of_birth < EARLIEST_DATE_OF_BIRTH:
        raise InvalidRecord("date of birth must be in 1900 or later", field="date_of_birth")
    return date_of_birth


def _normalise_sex(sex: str) -> str:
    """Map the accepted spellings onto one letter, so "F", "female" and "Female" match."""
    if not isinstance(sex, str):
        raise InvalidRecord("sex must be text", field="sex")
    key = "_".join(sex.strip().lower().replace("-", " ").split())
    try:
        return _SEX_CODES[key]
    except KeyError:
        raise InvalidRecord(
            "sex must be one of male, female, other, not_stated (or M, F, X)", field="sex"
        ) from None


def _encode(value: int) -> str:
    """Return `value` as exactly `BODY_LENGTH` base-32 symbols, most significant first."""
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(BODY_LENGTH)))


def _decode(body: str) -> int:
    value = 0
    for ch in body:
        value = value * 32 + ALPHABET.index(ch)
    return value


def _check_symbol(value: int) -> str:
    return CHECK_SYMBOLS[value % 37]
