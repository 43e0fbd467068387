"""Small-number disclosure control for published counts (NHS Digital rule, DESIGN §6).

0 stays 0 (an empty cell reveals nothing about a person), 1–7 becomes "*", anything else is
rounded to the nearest 5 (halves round up). Totals are never taken from unrounded cells beside
rounded ones: a published total is the true total put through the same rule on its own, which is
NHS Digital's practice ("totals are rounded independently and may not equal the sum of the rows").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SUPPRESSED = "*"
SUPPRESS_AT_MOST = 7
ROUND_TO = 5
INDEPENDENT_TOTALS_NOTE = (
    "Disclosure control: 1-7 shown as *, other values rounded to the nearest 5; "
    "totals are rounded independently and may not equal the sum of the rows."
)

Published = int | str


def publish_value(value: int) -> Published:
    """One count under the rule: 0 → 0, 1–7 → "*", else the nearest multiple of 5."""
    if value < 0:
        raise ValueError("a count cannot be negative")
    if value == 0:
        return 0
    if value <= SUPPRESS_AT_MOST:
        return SUPPRESSED
    return ((value + ROUND_TO // 2) // ROUND_TO) * ROUND_TO


def publish_rows(rows: Iterable[Mapping[str, Any]], column: str = "count") -> list[dict[str, Any]]:
    """Copies of `rows` with `column` published; other columns unchanged."""
    return [{**row, column: publish_value(int(row[column]))} for row in rows]


def as_number(value: Published) -> int:
    """A published value as a bar length: suppressed cells draw as nothing."""
    return 0 if isinstance(value, str) else value
