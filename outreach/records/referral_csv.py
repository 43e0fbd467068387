"""Referral outcomes from a receiving service's CSV: (referral code, outcome, date) per line.

Every line becomes a `referral_outcome` record or an `InvalidRecord` naming its line (as the
file counts them: a header is line 1) and field; the caller saves all or nothing. Accepted:
an optional header line, a UTF-8 byte-order mark (spreadsheets write one), blank lines, codes
in any case with spaces or dashes between the groups (`referral_code`), an outcome as its code
or its label in any case ("Did not attend"), and a date as 2026-11-03 or 03/11/2026 (day
first, as UK services write).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.errors import InvalidRecord
from outreach.records import ReferralOutcome
from outreach.records.validation import build_entered

MAX_BYTES = 1024 * 1024  # a service's monthly file is a few kB; more is the wrong file
MAX_LINES = 20_000
COLUMNS = ("referral_code", "outcome", "date")
Build = Callable[[dict[str, object]], ReferralOutcome]


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise InvalidRecord(f"the file is over {MAX_BYTES // 1024} KiB: is it the right file?")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidRecord("not UTF-8 text (save the CSV as UTF-8)", line=line) from None


def _is_header(cells: list[str]) -> bool:
    first = cells[0].strip().lower().replace(" ", "_") if cells else ""
    return first in ("referral_code", "code", "referral")


_LOOK_ALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def referral_code(text: str) -> str:
    """A code as a person or a spreadsheet wrote it → as printed: any case, spaces or dashes
    between the groups, and O/I/L for the digits 0/1/1 (the code's alphabet has no O, I or L).
    Anything else is left for validation to refuse."""
    letters = "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")
    if len(letters) == 9 and letters[0] == "R":
        body = letters[1:].translate(_LOOK_ALIKE)
        return f"R-{body[:4]}-{body[4:]}"
    return text.strip()


def outcome_code(text: str, vocab: Vocabulary) -> str:
    """The `referral_outcome` code a cell means: its code or its label, any case."""
    wanted = text.strip().lower()
    for code in vocab.codes("referral_outcome"):
        if wanted in (code, vocab.label("referral_outcome", code).lower()):
            return code
    if wanted.replace(" ", "_") in vocab.codes("referral_outcome"):
        return wanted.replace(" ", "_")
    choices = ", ".join(vocab.codes("referral_outcome"))
    raise InvalidRecord(f"unknown outcome '{text.strip()}' (one of: {choices})", field="outcome")


def parse_day(text: str) -> dt.date:
    """2026-11-03, or 03/11/2026 (day first); InvalidRecord naming the `date` column."""
    cleaned = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise InvalidRecord(f"'{cleaned}' is not a date: write 2026-11-03 or 03/11/2026", field="date")


def parse_outcomes(
    data: bytes,
    *,
    user: str,
    site: str,
    vocab: Vocabulary | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[ReferralOutcome], list[InvalidRecord]]:
    """Every line's record, and every bad line's error (line and field named)."""
    vocab = vocab or base_vocabulary()
    rows = list(csv.reader(io.StringIO(_text(data), newline="")))
    if len(rows) > MAX_LINES:
        raise InvalidRecord(f"the file has over {MAX_LINES} lines: split it")
    records: list[ReferralOutcome] = []
    errors: list[InvalidRecord] = []
    seen: dict[tuple[str, str, dt.date], int] = {}
    for number, cells in enumerate(rows, start=1):
        if not any(cell.strip() for cell in cells) or (number == 1 and _is_header(cells)):
            continue
        try:
            record = _record(cells, user=user, site=site, vocab=vocab, now=now)
        except InvalidRecord as exc:
            errors.append(exc.at_line(number))
            continue
        key = (record.referral_code, record.outcome, record.outcome_on)
        if key in seen:
            errors.append(
                InvalidRecord(f"repeats line {seen[key]}", field="referral_code", line=number)
            )
            continue
        seen[key] = number
        records.append(record)
    return records, errors


def _record(
    cells: list[str], *, user: str, site: str, vocab: Vocabulary, now: dt.datetime | None
) -> ReferralOutcome:
    if len(cells) != len(COLUMNS):
        raise InvalidRecord(
            f"expected {len(COLUMNS)} columns ({', '.join(COLUMNS)}), found {len(cells)}"
        )
    code = referral_code(cells[0])
    data: dict[str, object] = {
        "type": "referral_outcome",
        "site": site,
        "referral_code": code,
        "outcome": outcome_code(cells[1], vocab),
        "outcome_on": parse_day(cells[2]).isoformat(),
        "source": "imported",
    }
    try:
        record = build_entered(data, recorded_by=user, now=now, vocab=vocab)
    except InvalidRecord as exc:
        # the file's column is "date"; the record's field is outcome_on
        field = "date" if exc.field == "outcome_on" else exc.field
        raise InvalidRecord(exc.message, field=field) from None
    if not isinstance(record, ReferralOutcome):  # cannot happen: built from its type
        raise InvalidRecord("not a referral outcome", field="type")
    return record
