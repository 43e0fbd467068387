"""Tests for reading naloxone pack scans (GS1 DataMatrix)."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outreach.domain.gs1 import PackScan, ScanError, is_expired, parse_pack_scan
from outreach.errors import InvalidRecord

GS = "\x1d"


def with_check_digit(body: str) -> str:
    """Return a 14-digit GTIN for a 13-digit body, with the GS1 mod-10 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


GTIN = with_check_digit("0950110102091")  # GS1's own example, 09501101020917
NYXOID = with_check_digit("0501234567890")
PRENOXAD = with_check_digit("1501234512345")
EXPECTED = PackScan(GTIN, datetime.date(2028, 5, 31), "AB12", "XYZ")


def raw(
    gtin: str = GTIN, expiry: str = "280531", batch: str = "AB12", serial: str | None = "XYZ"
) -> str:
    text = f"01{gtin}17{expiry}10{batch}"
    return text + (f"{GS}21{serial}" if serial is not None else "")


def test_check_digit_helper_matches_gs1_example() -> None:
    """The test helper reproduces GS1's published example GTIN."""
    assert GTIN == "09501101020917"


def test_plain_raw_scan() -> None:
    """A raw scan with GS after the batch gives all four fields."""
    assert parse_pack_scan(raw()) == EXPECTED


@pytest.mark.parametrize("gtin", [GTIN, NYXOID, PRENOXAD])
def test_real_looking_gtins(gtin: str) -> None:
    """GTINs with valid check digits are accepted and kept as 14 digits."""
    assert parse_pack_scan(raw(gtin=gtin)).gtin == gtin


def test_without_serial() -> None:
    """A pack code without (21) has serial None."""
    assert parse_pack_scan(raw(serial=None)) == PackScan(
        GTIN, datetime.date(2028, 5, 31), "AB12", None
    )


@pytest.mark.parametrize("prefix", ["]d2", "]C1", "]Q3", "]e0"])
def test_aim_prefixes_stripped(prefix: str) -> None:
    """AIM symbology identifiers in front of the data are ignored."""
    assert parse_pack_scan(prefix + raw()) == EXPECTED


@pytest.mark.parametrize("separator", [GS, "<GS>", "<gs>", "{GS}", "[GS]", "^]", "\u241d"])
def test_gs_spellings(separator: str) -> None:
    """Raw GS, Ctrl+] and the usual placeholders all work as separators."""
    assert parse_pack_scan(raw().replace(GS, separator)) == EXPECTED


@pytest.mark.parametrize("wrapping", [("  ", "\r\n"), ("\t", "\n"), ("", "\r"), (GS, GS)])
def test_surrounding_whitespace_and_fnc1(wrapping: tuple[str, str]) -> None:
    """Whitespace, CR/LF and a leading FNC1 or trailing GS around the data are ignored."""
    assert parse_pack_scan(wrapping[0] + raw() + wrapping[1]) == EXPECTED


def test_gs_after_fixed_length_fields_tolerated() -> None:
    """A GS after the GTIN or expiry, where none is needed, does no harm."""
    text = f"01{GTIN}{GS}17280531{GS}10AB12{GS}21XYZ"
    assert parse_pack_scan(text) == EXPECTED


def test_field_order_does_not_matter() -> None:
    """Serial first, then expiry, then batch reads the same."""
    text = f"]d201{GTIN}21XYZ{GS}1728053110AB12"
    assert parse_pack_scan(text) == EXPECTED


@pytest.mark.parametrize(
    "text",
    [
        f"(01){GTIN}(17)280531(10)AB12(21)XYZ",
        f"(01) {GTIN} (17) 280531 (10) AB12 (21) XYZ",
        f"]d2(01){GTIN}(17)280531(10)AB12(21)XYZ\n",
        f"(21)XYZ(10)AB12(17)280531(01){GTIN}",
    ],
)
def test_parenthesised_form(text: str) -> None:
    """The human-readable (AI)data form is read, spaces between fields ignored."""
    assert parse_pack_scan(text) == EXPECTED


def test_parenthesised_stray_text_refused() -> None:
    """Text in the parenthesised form that is not an (AI)data pair is refused, not skipped."""
    with pytest.raises(ScanError, match="not a GS1 code"):
        parse_pack_scan(f"(01){GTIN}(17)280531(10)A(B)")
    with pytest.raises(ScanError, match="not a GS1 code"):
        parse_pack_scan(f"(01){GTIN}(17)280531(10)AB12)")


@pytest.mark.parametrize(
    ("expiry", "date"),
    [
        ("280500", datetime.date(2028, 5, 31)),
        ("280200", datetime.date(2028, 2, 29)),
        ("270200", datetime.date(2027, 2, 28)),
        ("261100", datetime.date(2026, 11, 30)),
        ("261201", datetime.date(2026, 12, 1)),
    ],
)
def test_expiry_day_00_is_last_day_of_month(expiry: str, date: datetime.date) -> None:
    """Day 00 means the last day of the month, leap years included."""
    assert parse_pack_scan(raw(expiry=expiry)).expiry == date


def test_day_00_in_parenthesised_form() -> None:
    """Day 00 is also read in the parenthesised form."""
    assert parse_pack_scan(f"(01){GTIN}(17)280200(10)B1").expiry == datetime.date(2028, 2, 29)


def test_other_ais_ignored() -> None:
    """Extra fields such as a national healthcare number (710) do not get in the way."""
    text = f"01{GTIN}17280531710ABC123{GS}10AB12{GS}21XYZ"
    assert parse_pack_scan(text) == EXPECTED


def test_max_length_batch_and_serial() -> None:
    """Batch and serial of exactly 20 characters are accepted."""
    result = parse_pack_scan(raw(batch="B" * 20 + GS, serial="S" * 20).replace(GS + GS, GS))
    assert (result.batch, result.serial) == ("B" * 20, "S" * 20)


@pytest.mark.parametrize(
    ("text", "message", "field"),
    [
        ("", "not a GS1 code: the scan is empty", "scan"),
        ("   \r\n", "not a GS1 code", "scan"),
        ("]d2", "not a GS1 code", "scan"),
        ("hello world", "not a GS1 code", "scan"),
        ("https://example.com/01/09501101020917", "not a GS1 code", "scan"),
        ("5012345678900", "plain product barcode", "scan"),
        ("95011010209", "missing GTIN (01)", "gtin"),
        ("01095011010209171728053110ÄB", "not a GS1 code", "scan"),
        (f"(01){GTIN}", "missing expiry (17)", "expiry"),
        (f"01{GTIN}", "missing expiry (17)", "expiry"),
        (f"01{GTIN}17280531", "missing batch (10)", "batch"),
        ("1728053110AB12", "missing GTIN (01)", "gtin"),
        ("01095011010209181728053110AB12", "GTIN check digit wrong", "gtin"),
        ("01123", "GTIN (01) must be 14 digits", "gtin"),
        (f"01{GTIN}1728023110AB12", "not a real date", "expiry"),
        (f"01{GTIN}1728133110AB12", "YYMMDD", "expiry"),
        (f"01{GTIN}172805", "YYMMDD", "expiry"),
        (raw(batch="A" * 21), "batch (10) is longer than 20 characters", "batch"),
        (raw(serial="S" * 21), "serial (21) is longer than 20 characters", "serial"),
        (f"(01){GTIN}(17)280531(10){'A' * 25}", "batch (10) is longer than 20", "batch"),
        (f"(01){GTIN}(17)280531(10)AB(21)", "serial (21) must be 1 to 20", "serial"),
        (f"01{GTIN}1728053110AB{GS}10CD", "two different batch (10) values", "scan"),
        (f"01{GTIN}1728053110AB{GS}!!", "unreadable data after (10)", "scan"),
    ],
)
def test_errors(text: str, message: str, field: str) -> None:
    """Each kind of bad scan raises ScanError with a clear message and the field at fault."""
    with pytest.raises(ScanError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        parse_pack_scan(text)
    assert isinstance(info.value, InvalidRecord)
    assert info.value.field == field


def test_repeated_identical_field_is_fine() -> None:
    """The same field twice with the same value is not an error."""
    assert parse_pack_scan(raw() + f"{GS}10AB12") == EXPECTED


def test_non_text_refused() -> None:
    """Bytes or None give ScanError, not a TypeError."""
    with pytest.raises(ScanError):
        parse_pack_scan(raw().encode())  # type: ignore[arg-type]
    with pytest.raises(ScanError):
        parse_pack_scan(None)  # type: ignore[arg-type]


def test_dropped_gs_serial_first_recovered() -> None:
    """With GS dropped after a leading serial, the only consistent split is used."""
    assert parse_pack_scan(f"01{GTIN}21XYZ1728053110AB12") == EXPECTED


def test_dropped_gs_long_batch_and_serial_recovered() -> None:
    """With GS dropped and batch+serial over 20, the one valid split is used."""
    text = f"01{GTIN}1728053110BATCH1234521SERIAL1234567"
    assert parse_pack_scan(text) == PackScan(
        GTIN, datetime.date(2028, 5, 31), "BATCH12345", "SERIAL1234567"
    )


def test_dropped_gs_before_expiry_recovered() -> None:
    """With GS dropped after the batch and expiry last, the expiry is found again."""
    text = f"01{GTIN}10AB1217280531"
    assert parse_pack_scan(text) == PackScan(GTIN, datetime.date(2028, 5, 31), "AB12", None)


def test_dropped_gs_ambiguous_asks_for_rescan() -> None:
    """When the dropped separators allow two readings, the user is asked to re-scan or type."""
    with pytest.raises(ScanError, match="more than one way.*re-scan.*type") as info:
        parse_pack_scan(f"01{GTIN}10AB1221XYZ17280531")
    assert info.value.field == "scan"


def test_dropped_gs_ambiguous_long() -> None:
    """A batch and serial over 20 with several possible split points is refused."""
    with pytest.raises(ScanError, match="more than one way"):
        parse_pack_scan(f"01{GTIN}1728053110X21{'Y' * 8}21{'Z' * 10}")


def test_gs_present_disables_guessing() -> None:
    """If the scanner does send GS, no split is guessed when the scan is otherwise bad."""
    with pytest.raises(ScanError, match="missing expiry"):
        parse_pack_scan(f"01{GTIN}21XYZ{GS}10AB1217280531X")


def test_dropped_gs_short_batch_is_read_naively() -> None:
    """A GS-less code whose batch may hide (21) is read as written (known limitation)."""
    result = parse_pack_scan(f"01{GTIN}1728053110AB1221XYZ")
    assert (result.batch, result.serial) == ("AB1221XYZ", None)


@pytest.mark.parametrize(
    ("today", "expired"),
    [
        (datetime.date(2028, 5, 30), False),
        (datetime.date(2028, 5, 31), False),
        (datetime.date(2028, 6, 1), True),
    ],
)
def test_is_expired(today: datetime.date, expired: bool) -> None:
    """A kit expiring today is still usable; from the next day it is expired."""
    assert is_expired(EXPECTED, today) is expired
    assert is_expired(EXPECTED.expiry, today) is expired


def test_is_expired_day_00() -> None:
    """A day-00 expiry lasts to the end of its month."""
    scan = parse_pack_scan(raw(expiry="260200"))
    assert not is_expired(scan, datetime.date(2026, 2, 28))
    assert is_expired(scan, datetime.date(2026, 3, 1))


GS1_ALPHABET = "0123456789ABCXYZ()!%-_" + GS
PIECES = [
    "01",
    GTIN,
    "17",
    "280531",
    "280500",
    "10",
    "21",
    "AB12",
    "(01)",
    "(17)",
    "(10)",
    "(21)",
    GS,
    "<GS>",
    "^]",
    "]d2",
    " ",
    "\n",
    "9",
    "X",
]


@settings(max_examples=400)
@given(st.text(max_size=80) | st.text(alphabet=GS1_ALPHABET, max_size=80))
def test_property_any_text_gives_pack_or_scan_error(text: str) -> None:
    """Any text whatsoever gives a PackScan or a ScanError, never another exception."""
    try:
        result = parse_pack_scan(text)
    except ScanError as error:
        assert str(error)
    else:
        assert isinstance(result, PackScan)
        assert len(result.gtin) == 14
        assert 1 <= len(result.batch) <= 20


@settings(max_examples=300)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_property_gs1_like_fragments_never_crash(text: str) -> None:
    """Plausible fragments of pack codes glued together never raise anything but ScanError."""
    with contextlib.suppress(ScanError):
        parse_pack_scan(text)


VAR_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-./"
packs = st.builds(
    PackScan,
    gtin=st.sampled_from([GTIN, NYXOID, PRENOXAD]),
    expiry=st.dates(datetime.date(2000, 1, 1), datetime.date(2060, 12, 31)),  # GS1 year window
    batch=st.text(alphabet=VAR_CHARS, min_size=1, max_size=20),
    serial=st.none() | st.text(alphabet=VAR_CHARS, min_size=1, max_size=20),
)


def _yymmdd(date: datetime.date) -> str:
    return date.strftime("%y%m%d")


@given(packs, st.sampled_from([GS, "<GS>", "{GS}", "^]", "\u241d"]), st.sampled_from(["", "]d2"]))
def test_property_round_trip_raw(pack: PackScan, separator: str, prefix: str) -> None:
    """Any valid pack encoded raw, with any GS spelling and prefix, reads back exactly."""
    text = f"{prefix}01{pack.gtin}17{_yymmdd(pack.expiry)}10{pack.batch}"
    if pack.serial is not None:
        text += f"{separator}21{pack.serial}"
    assert parse_pack_scan(text) == pack


@given(packs)
def test_property_round_trip_parenthesised(pack: PackScan) -> None:
    """Any valid pack in the parenthesised form reads back exactly."""
    text = f"(01){pack.gtin}(17){_yymmdd(pack.expiry)}(10){pack.batch}"
    if pack.serial is not None:
        text += f"(21){pack.serial}"
    assert parse_pack_scan(text) == pack


@given(packs)
def test_property_dropped_gs_never_changes_gtin_or_expiry(pack: PackScan) -> None:
    """With GS dropped, a reading either fails cleanly or keeps GTIN, expiry and batch start."""
    text = f"01{pack.gtin}17{_yymmdd(pack.expiry)}10{pack.batch}"
    if pack.serial is not None:
        text += f"21{pack.serial}"
    try:
        result = parse_pack_scan(text)
    except ScanError:
        return
    assert (result.gtin, result.expiry) == (pack.gtin, pack.expiry)
    assert result.batch.startswith(pack.batch) or pack.batch.startswith(result.batch)


@pytest.mark.parametrize("prefix", ["]d1", "]C0", "]Q1", "]E0"])
def test_aim_prefixes_of_non_gs1_symbols_are_refused(prefix: str) -> None:
    """`]d1` (DataMatrix without FNC1) and other non-GS1 symbologies are not read as GS1."""
    with pytest.raises(ScanError, match="not a GS1 code"):
        parse_pack_scan(prefix + raw())


@pytest.mark.parametrize("prefix", ["]d2", "]C1", "]Q3", "]e0", "]J1"])
def test_gs1_aim_prefixes_are_read(prefix: str) -> None:
    """The GS1 symbologies' AIM prefixes are stripped and the code read."""
    assert parse_pack_scan(prefix + raw()) == EXPECTED


def test_scanned_and_typed_batches_follow_one_rule() -> None:
    """A batch the scan parser accepts passes record validation, and one it refuses does not."""
    from outreach.records.validation import check_batch_or_serial

    for batch in ["AB12", "A-1/2.3", "x%y", "A#1", "A@1", "AB~"]:
        try:
            scanned = parse_pack_scan(raw(batch=batch)).batch
        except ScanError:
            scanned = None
        try:
            check_batch_or_serial(batch, "batch")
            typed = batch
        except InvalidRecord:
            typed = None
        assert scanned == typed, batch
