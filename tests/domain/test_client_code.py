"""Tests for pseudonymous client codes."""

from __future__ import annotations

import datetime
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach.domain import client_code as cc
from outreach.domain.client_code import (
    InvalidClientCode,
    format_client_code,
    is_valid_client_code,
    make_client_code,
    new_service_key,
    normalise_client_code,
)
from outreach.errors import InvalidRecord

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
TODAY = datetime.date(2025, 6, 1)
DOB = datetime.date(1990, 2, 17)

ALL_TYPED = sorted(set(cc.CHECK_SYMBOLS))


def code(initials: str = "JS", dob: datetime.date = DOB, sex: str = "F", key: bytes = KEY) -> str:
    return make_client_code(key, initials, dob, sex, today=TODAY)


def sample_codes() -> list[str]:
    return [
        code(),
        code("AB", datetime.date(1975, 12, 31), "male"),
        code("ZZ", datetime.date(2001, 1, 1), "other"),
        code("QX", datetime.date(1960, 7, 4), "not_stated"),
        code(key=OTHER_KEY),
    ]


def test_code_shape() -> None:
    """A code is 11 uppercase Crockford symbols, the last being a check symbol."""
    result = code()
    assert len(result) == 11
    assert all(ch in cc.ALPHABET for ch in result[:10])
    assert result[10] in cc.CHECK_SYMBOLS
    assert is_valid_client_code(result)


def test_deterministic() -> None:
    """The same key and inputs always give the same code."""
    assert code() == code() == code("JS", DOB, "female")


def test_matches_documented_construction() -> None:
    """The code is the first 50 bits of HMAC-SHA256 over "JS|1990-02-17|F", base 32, plus check."""
    import hashlib
    import hmac

    digest = hmac.new(KEY, b"JS|1990-02-17|F", hashlib.sha256).digest()
    value = int.from_bytes(digest, "big") >> (256 - 50)
    body = "".join(cc.ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(10)))
    assert code() == body + cc.CHECK_SYMBOLS[value % 37]


def test_different_keys_give_different_codes() -> None:
    """Two services with different keys get unrelated codes for the same person."""
    assert code(key=KEY) != code(key=OTHER_KEY)
    assert code(key=new_service_key()) != code(key=new_service_key())


def test_different_inputs_give_different_codes() -> None:
    """Changing any one typed value changes the code."""
    base = code()
    assert code(initials="JT") != base
    assert code(dob=DOB + datetime.timedelta(days=1)) != base
    assert code(sex="M") != base


def test_only_the_code_is_returned() -> None:
    """The function returns a bare string carrying none of the typed values."""
    result = code("JS", DOB, "F")
    assert isinstance(result, str)
    for typed in ("JS", "1990", "02", "17", "|"):
        assert typed not in result
    assert not hasattr(cc, "_last_input")
    assert "cache" not in inspect.getsource(cc).lower()


@pytest.mark.parametrize(
    "initials", ["js", "J S", "J.S.", " j-s ", "Js", "\tj\ns", "J\u0301S", "J. S."]
)
def test_initials_case_punctuation_whitespace(initials: str) -> None:
    """Case, spaces, dots and hyphens in initials do not change the code."""
    assert code(initials=initials) == code("JS")


def test_initials_accents_stripped() -> None:
    """Accented initials give the same code as the plain letters."""
    assert code("ÉÖ") == code("EO") == code("éö") == code("E\u0301O\u0308")


@pytest.mark.parametrize("sex", ["F", "f", "female", "Female", " FEMALE "])
def test_sex_spellings_female(sex: str) -> None:
    """All accepted spellings of female give the same code."""
    assert code(sex=sex) == code(sex="F")


@pytest.mark.parametrize(
    ("spellings", "canonical"),
    [
        (["m", "Male"], "male"),
        (["x", "X", "Other"], "other"),
        (["not stated", "Not-Stated"], "not_stated"),
    ],
)
def test_sex_spellings_other_values(spellings: list[str], canonical: str) -> None:
    """M/male, X/other and not stated variants each normalise to one value."""
    for spelling in spellings:
        assert code(sex=spelling) == code(sex=canonical)


def test_sex_values_are_distinct() -> None:
    """Each of the four sex values gives a different code."""
    codes = {code(sex=s) for s in ("male", "female", "other", "not_stated")}
    assert len(codes) == 4


@pytest.mark.parametrize("initials", ["", "J", "JSM", "John Smith", "12", "J1", "--", "J.S.T"])
def test_bad_initials(initials: str) -> None:
    """Anything other than exactly two letters is refused with a message about initials."""
    with pytest.raises(InvalidRecord, match="exactly 2 initials") as info:
        code(initials=initials)
    assert info.value.field == "initials"


@pytest.mark.parametrize(
    ("dob", "message"),
    [
        (TODAY, "in the past"),
        (TODAY + datetime.timedelta(days=1), "in the past"),
        (datetime.date(3000, 1, 1), "in the past"),
        (datetime.date(1899, 12, 31), "1900 or later"),
    ],
)
def test_bad_date_of_birth(dob: datetime.date, message: str) -> None:
    """Future, today's and pre-1900 dates of birth are refused with a clear message."""
    with pytest.raises(InvalidRecord, match=message) as info:
        code(dob=dob)
    assert info.value.field == "date_of_birth"


def test_earliest_and_latest_dates_accepted() -> None:
    """1 January 1900 and yesterday are both acceptable dates of birth."""
    assert is_valid_client_code(code(dob=datetime.date(1900, 1, 1)))
    assert is_valid_client_code(code(dob=TODAY - datetime.timedelta(days=1)))


def test_datetime_dob_uses_its_date() -> None:
    """A datetime date of birth is treated as its calendar date."""
    assert code(dob=datetime.datetime(1990, 2, 17, 13, 45)) == code()


def test_non_date_dob_refused() -> None:
    """A date of birth given as text is refused rather than hashed."""
    with pytest.raises(InvalidRecord, match="must be a date"):
        code(dob="1990-02-17")  # type: ignore[arg-type]


def test_default_today_is_real_today() -> None:
    """Without `today`, tomorrow's date is still refused as a date of birth."""
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    with pytest.raises(InvalidRecord, match="in the past"):
        make_client_code(KEY, "JS", tomorrow, "F")


@pytest.mark.parametrize("sex", ["", "man", "woman", "u", "unknown", "non_binary"])
def test_bad_sex(sex: str) -> None:
    """Unrecognised sex values are refused, naming the accepted values."""
    with pytest.raises(InvalidRecord, match="male, female, other, not_stated") as info:
        code(sex=sex)
    assert info.value.field == "sex"


@pytest.mark.parametrize("key", [b"", b"short", "a" * 32])
def test_bad_service_key(key: object) -> None:
    """A missing, short or non-bytes service key is a programming error."""
    with pytest.raises(ValueError, match="service key"):
        make_client_code(key, "JS", DOB, "F", today=TODAY)  # type: ignore[arg-type]


def test_new_service_key() -> None:
    """Service keys are 32 random bytes and differ each time."""
    first, second = new_service_key(), new_service_key()
    assert isinstance(first, bytes)
    assert len(first) == 32
    assert first != second


def test_normalise_accepts_formatted_and_sloppy_input() -> None:
    """Lowercase, spaces and hyphens in a typed code are ignored."""
    result = code()
    sloppy = f" {result[:3].lower()} {result[3:7]}-{result[7:].lower()} "
    assert normalise_client_code(sloppy) == result
    assert normalise_client_code(format_client_code(result)) == result


def test_normalise_maps_confusables() -> None:
    """I and L are read as 1 and O as 0, as Crockford base 32 intends."""
    body = "10ABC10XYZ"
    valid = body + cc.CHECK_SYMBOLS[cc._decode(body) % 37]
    typed = valid[:10].replace("1", "l").replace("0", "O") + valid[10]
    assert normalise_client_code(typed) == valid
    typed_upper_i = valid[:10].replace("1", "I") + valid[10]
    assert normalise_client_code(typed_upper_i) == valid


def test_format_client_code() -> None:
    """Display form groups the code as five, five and the check character."""
    result = code()
    formatted = format_client_code(result.lower())
    assert formatted == f"{result[:5]}-{result[5:10]}-{result[10]}"
    assert len(formatted) == 13


def test_format_refuses_invalid_code() -> None:
    """Formatting a code that fails its check raises rather than displaying it."""
    with pytest.raises(InvalidClientCode):
        format_client_code("0000000000Z")


@pytest.mark.parametrize("position", range(11))
def test_every_single_substitution_is_caught(position: int) -> None:
    """Changing any one character to any other symbol is always detected."""
    for valid in sample_codes():
        for symbol in ALL_TYPED:
            if symbol == valid[position]:
                continue
            typo = valid[:position] + symbol + valid[position + 1 :]
            assert not is_valid_client_code(typo), (valid, typo)


def test_adjacent_transpositions_are_caught() -> None:
    """Swapping two neighbouring different characters is always detected."""
    for valid in sample_codes():
        for i in range(10):
            if valid[i] == valid[i + 1]:
                continue
            swapped = valid[:i] + valid[i + 1] + valid[i] + valid[i + 2 :]
            assert not is_valid_client_code(swapped), (valid, swapped)


def test_mistyped_check_message() -> None:
    """A wrong check character says a character was mistyped."""
    valid = code()
    wrong = valid[:10] + ("0" if valid[10] != "0" else "1")
    with pytest.raises(InvalidClientCode, match="check character does not match") as info:
        normalise_client_code(wrong)
    assert isinstance(info.value, InvalidRecord)
    assert info.value.field == "client_code"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("  - ", "empty"),
        ("ABCDE", "11 characters, got 5"),
        ("0123456789ABC", "11 characters, got 13"),
        ("ABCDEFGHJKU0", "11 characters"),
        ("ABCDEFGHJU0", "never used: U"),
        ("ABCD!FGHJK0", "never used: !"),
        ("ABCDEFGHJK#", "not a valid check character"),
    ],
)
def test_malformed_codes(text: str, message: str) -> None:
    """Wrong length, impossible symbols and a bad check symbol each have their own message."""
    with pytest.raises(InvalidClientCode, match=message):
        normalise_client_code(text)


def test_non_text_code_refused() -> None:
    """A non-string code raises InvalidClientCode, not a TypeError."""
    assert not is_valid_client_code(12345678901)  # type: ignore[arg-type]


def test_extended_check_symbols_reachable() -> None:
    """Codes whose check value is 32 to 36 end in one of *~$=U and validate."""
    body = "0" * 8 + "1"
    seen = set()
    for last in cc.ALPHABET:
        value = cc._decode(body + last)
        full = body + last + cc.CHECK_SYMBOLS[value % 37]
        assert is_valid_client_code(full)
        assert is_valid_client_code(full.lower())
        seen.add(full[-1])
    assert seen & set("*~$=U")


@given(
    initials=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    dob=st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 5, 31)),
    sex=st.sampled_from(["male", "female", "other", "not_stated"]),
    key=st.binary(min_size=16, max_size=64),
)
def test_property_codes_round_trip(initials: str, dob: datetime.date, sex: str, key: bytes) -> None:
    """Every generated code validates, survives formatting and lowercasing."""
    result = make_client_code(key, initials, dob, sex, today=TODAY)
    assert len(result) == 11
    assert normalise_client_code(result) == result
    assert normalise_client_code(format_client_code(result).lower()) == result


@given(st.text(max_size=30))
def test_property_arbitrary_text_never_crashes(text: str) -> None:
    """Any typed text is either a valid code or raises InvalidClientCode."""
    try:
        result = normalise_client_code(text)
    except InvalidClientCode:
        return
    assert len(result) == 11
    assert is_valid_client_code(result)


@given(
    body=st.text(alphabet=cc.ALPHABET, min_size=10, max_size=10),
    position=st.integers(0, 10),
    symbol=st.sampled_from(ALL_TYPED),
)
def test_property_single_substitution_caught(body: str, position: int, symbol: str) -> None:
    """For any valid code, any one-symbol change is refused."""
    valid = body + cc.CHECK_SYMBOLS[cc._decode(body) % 37]
    typo = valid[:position] + symbol + valid[position + 1 :]
    assert is_valid_client_code(typo) == (typo == valid)
