"""Read naloxone pack scans (GS1 DataMatrix) into GTIN, expiry, batch and serial.

Scanners deliver the same code in many shapes: with or without an AIM prefix, with the GS
separator raw, as a placeholder, or dropped by a keyboard wedge, or as the parenthesised
human-readable form. We tidy the shape here and leave the GS1 rules to a library.

biip evaluation (5.2, Apache-2.0, pure Python, typed): its AI table, per-AI patterns,
GTIN check-digit validation (reported as `gtin_error`, not raised) and YYMMDD dates with
day 00 read as the last day of the month are correct and maintained, so we use
`GS1ElementString` for every field. Gaps we cover: no recovery when GS is dropped (a
variable field just swallows the rest), HRI parsing silently skips text that is not
`(AI)data`, only raw GS is a separator, and its messages are technical.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass
from itertools import combinations

from biip import BiipException, ParseConfig
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString

from outreach.domain.gs1_text import GS, GS_SHOWN, check_batch_or_serial
from outreach.errors import InvalidRecord

__all__ = ["PackScan", "ScanError", "check_batch_or_serial", "is_expired", "parse_pack_scan"]

log = logging.getLogger(__name__)

MAX_VARIABLE_LENGTH = 20
AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
# AIM symbology identifiers that announce GS1 data: DataMatrix, GS1-128, DataBar, QR, DotCode.
# Any other (`]d1` is a DataMatrix without FNC1) holds text that only looks like GS1.
GS1_AIM_PREFIXES = frozenset({"]d2", "]C1", "]e0", "]Q3", "]J1"})
GS_PLACEHOLDERS = re.compile(r"<GS>|\{GS\}|\[GS\]|\^\]|" + GS_SHOWN, re.IGNORECASE)
HRI_FIELD = re.compile(r"\((\d{2,4})\)([^()]*)")
PRINTABLE_ASCII = re.compile(r"^[\x1d\x21-\x7e]*$")

FIELD_NAMES = {"01": "GTIN", "17": "expiry", "10": "batch", "21": "serial"}
RECORD_FIELDS = {"01": "gtin", "17": "expiry", "10": "batch", "21": "serial"}
SPLIT_AIS = ("01", "10", "17", "21")
MAX_SPLIT_POSITIONS = 16
"""Above this many places a separator could go, guessing is too slow and too unreliable."""

RESCAN = "Re-scan the pack, or type GTIN, expiry and batch by hand."
_CONFIG = ParseConfig(gs1_element_strings_verify_date=False)
_PARSE_ERRORS = (BiipException, ValueError)


class ScanError(InvalidRecord):
    """A scanned or typed pack code cannot be read as a usable naloxone pack."""


@dataclass(frozen=True)
class PackScan:
    """What a pack's DataMatrix says: product, expiry, batch and (if printed) serial."""

    gtin: str
    expiry: datetime.date
    batch: str
    serial: str | None


def parse_pack_scan(text: str) -> PackScan:
    """Return the pack fields from a scan, or raise `ScanError` saying what is wrong."""
    if not isinstance(text, str):
        raise ScanError("not a GS1 code: the scan is not text", field="scan")
    raw = _normalise(text)
    if raw.startswith("("):
        raw = "".join(raw.replace(GS, "").split())
    if not raw:
        raise ScanError("not a GS1 code: the scan is empty", field="scan")
    if not PRINTABLE_ASCII.match(raw):
        raise ScanError(
            "not a GS1 code: it contains characters a GS1 code cannot hold", field="scan"
        )
    if raw.startswith("("):
        return _to_pack(_parse_hri(raw))
    try:
        return _to_pack(_parse_raw(raw))
    except ScanError as error:
        if GS in raw:
            raise
        recovered = _recover_dropped_separators(raw, error)
        log.warning("pack scan had no GS separators; read by best-effort split")
        return recovered


def is_expired(scan_or_expiry: PackScan | datetime.date, today: datetime.date) -> bool:
    """Return whether the kit is past its expiry; a kit expiring today is still usable."""
    expiry = scan_or_expiry.expiry if isinstance(scan_or_expiry, PackScan) else scan_or_expiry
    return expiry < today


def _normalise(text: str) -> str:
    """Strip ends and the AIM prefix, and turn every GS spelling into a raw GS."""
    text = text.strip()
    aim = AIM_PREFIX.match(text)
    if aim is not None:
        if aim.group() not in GS1_AIM_PREFIXES:
            raise ScanError(
                f"not a GS1 code: the scanner says it is symbology {aim.group()}, which holds "
                "no GS1 fields. Scan the pack's GS1 DataMatrix code",
                field="scan",
            )
        text = text[aim.end() :]
    text = GS_PLACEHOLDERS.sub(GS, text)
    return text.strip()  # Python counts GS as whitespace: leading FNC1 and trailing GS go too


def _parse_raw(raw: str) -> list[GS1ElementString]:
    """Split a raw GS1 element string with biip, explaining the first field that fails."""
    elements: list[GS1ElementString] = []
    rest = raw
    while rest:
        try:
            element = GS1ElementString.extract(rest, config=_CONFIG)
        except _PARSE_ERRORS:
            raise _explain_failure(rest, elements, raw) from None
        elements.append(element)
        rest = rest[len(element) :].lstrip(GS)
    return elements


def _parse_hri(raw: str) -> list[GS1ElementString]:
    """Parse the parenthesised form, refusing any text that is not part of an (AI)data pair."""
    hri = raw
    pairs = [(match.group(1), match.group(2)) for match in HRI_FIELD.finditer(hri)]
    if "".join(f"({ai}){data}" for ai, data in pairs) != hri or not pairs:
        raise ScanError(
            "not a GS1 code: parenthesised codes must look like (01)…(17)…(10)…", field="scan"
        )
    elements = []
    for ai, data in pairs:
        try:
            elements.append(GS1ElementString.parse(ai + data, config=_CONFIG))
        except _PARSE_ERRORS:
            raise _explain_failure(ai + data, elements, raw) from None
    return elements


def _explain_failure(rest: str, elements: list[GS1ElementString], raw: str) -> ScanError:
    """Turn a biip failure into a message about the field at fault."""
    try:
        ai = GS1ApplicationIdentifier.extract(rest)
    except _PARSE_ERRORS:
        ai = None
    if ai is None:
        previous = elements[-1] if elements else None
        if previous is None:
            if raw.isdigit() and len(raw) in (8, 12, 13, 14):
                return ScanError(
                    "not a GS1 code: this is the plain product barcode, which has no expiry or "
                    "batch; scan the square DataMatrix code instead",
                    field="scan",
                )
            return ScanError("not a GS1 code: it does not start with a GS1 field", field="scan")
        code = previous.ai.ai
        if code in ("10", "21") and len(previous.value) == MAX_VARIABLE_LENGTH:
            return _too_long(code)
        return ScanError(f"unreadable data after ({code}). {RESCAN}", field="scan")
    code = ai.ai
    if code == "01":
        return ScanError("GTIN (01) must be 14 digits", field="gtin")
    if code == "17":
        return ScanError("expiry (17) must be a date as 6 digits, YYMMDD", field="expiry")
    if code in ("10", "21"):
        value = rest[len(code) :].split(GS, 1)[0]
        if len(value) > MAX_VARIABLE_LENGTH:
            return _too_long(code)
        return ScanError(
            f"{FIELD_NAMES[code]} ({code}) must be 1 to {MAX_VARIABLE_LENGTH} letters, digits "
            "or GS1 punctuation",
            field=RECORD_FIELDS[code],
        )
    return ScanError(f"field ({code}) {ai.data_title} is malformed. {RESCAN}", field="scan")


def _too_long(code: str) -> ScanError:
    return ScanError(
        f"{FIELD_NAMES[code]} ({code}) is longer than {MAX_VARIABLE_LENGTH} characters",
        field=RECORD_FIELDS[code],
    )


def _to_pack(elements: list[GS1ElementString]) -> PackScan:
    """Check the fields a pack needs and build the `PackScan`."""
    values: dict[str, GS1ElementString] = {}
    for element in elements:
        code = element.ai.ai
        if code in values and values[code].value != element.value:
            name = FIELD_NAMES.get(code, element.ai.data_title)
            raise ScanError(f"scan has two different {name} ({code}) values", field="scan")
        values.setdefault(code, element)
    if not values:
        raise ScanError("not a GS1 code: no fields found", field="scan")
    for code in ("01", "17", "10"):
        if code not in values:
            raise ScanError(
                f"missing {FIELD_NAMES[code]} ({code}): is this the pack's DataMatrix code?",
                field=RECORD_FIELDS[code],
            )
    gtin = values["01"]
    if gtin.gtin_error:
        raise ScanError("GTIN check digit wrong: re-scan or check the number", field="gtin")
    expiry = values["17"].date
    if expiry is None:
        raise ScanError(
            f"expiry (17) {values['17'].value} is not a real date (YYMMDD)", field="expiry"
        )
    for code in ("10", "21"):
        if code in values and len(values[code].value) > MAX_VARIABLE_LENGTH:
            raise _too_long(code)
        if code in values:  # the rule typed values meet too (biip's pattern is the same set)
            try:
                check_batch_or_serial(values[code].value, RECORD_FIELDS[code])
            except InvalidRecord as exc:
                raise ScanError(
                    f"{FIELD_NAMES[code]} ({code}) {exc.message}", field=exc.field
                ) from None
    serial = values.get("21")
    return PackScan(
        gtin=gtin.value,
        expiry=expiry,
        batch=values["10"].value,
        serial=serial.value if serial else None,
    )


def _recover_dropped_separators(raw: str, error: ScanError) -> PackScan:
    """Try GS at the places a field could start; accept only if every reading agrees.

    Some keyboard-wedge scanners drop GS, so a variable field swallows the fields after it.
    A guess that could be wrong is worse than asking for a re-scan: a wrong batch defeats a
    recall and a wrong serial defeats the repeat-issue check.
    """
    positions = [p for p in range(1, len(raw) - 1) if raw[p : p + 2] in SPLIT_AIS]
    if not positions or len(positions) > MAX_SPLIT_POSITIONS:
        raise error
    readings: set[PackScan] = set()
    for count in (1, 2):
        for cut in combinations(positions, count):
            bounds = zip((0, *cut), (*cut, len(raw)), strict=True)
            candidate = GS.join(raw[start:end] for start, end in bounds)
            try:
                readings.add(_to_pack(_parse_raw(candidate)))
            except ScanError:
                continue
    if not readings:
        raise error
    if len(readings) > 1:
        raise ScanError(
            "the scanner left out the separators between fields and the code can be read "
            "more than one way. Check the scanner sends GS (Ctrl+]), then re-scan, or type "
            "GTIN, expiry, batch and serial by hand",
            field="scan",
        )
    return readings.pop()
