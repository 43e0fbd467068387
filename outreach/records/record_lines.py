"""Records from JSON lines (the `outreach record` input): each line becomes a record or an
`InvalidRecord` naming the line, never another exception.

The bytes come from outside, so every way Python's decoders fail is caught here: bytes that are
not UTF-8, nesting deeper than the parser's recursion limit, and integers longer than Python's
integer-string limit (4,300 digits), which `json` reports as a bare `ValueError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from outreach.domain.vocab import Vocabulary
from outreach.errors import InvalidRecord
from outreach.records import Record
from outreach.records.validation import build_entered

MAX_DEPTH = 32  # a record is at most three levels deep (referrals: list of objects)


def _depth(text: str) -> int:
    """The deepest bracket nesting outside strings, counted without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def decode_line(raw: bytes) -> Any:
    """One line's JSON value; raises InvalidRecord (without a line number) when it has none."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(f"not UTF-8 text (byte {exc.start + 1})") from None
    brackets = text.count("[") + text.count("{")  # cheap: most lines need no depth scan
    if brackets > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise InvalidRecord(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecord(f"not valid JSON ({exc.msg})") from None
    except ValueError:  # an integer over Python's int-string digit limit
        raise InvalidRecord("not valid JSON (a number has too many digits)") from None
    except RecursionError:
        raise InvalidRecord("JSON nested too deeply") from None


def parse_lines(
    lines: Iterable[bytes], user: str, vocab: Vocabulary | None = None
) -> tuple[list[Record], list[InvalidRecord]]:
    """Decode and validate every line against `vocab` (the device's current code lists; the
    shipped ones if None); return the records and every line's error."""
    records: list[Record] = []
    errors: list[InvalidRecord] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(build_entered(decode_line(line), recorded_by=user, vocab=vocab))
        except InvalidRecord as exc:
            errors.append(exc.at_line(number))
    return records, errors
