"""Small-number disclosure control for published counts (NHS Digital rule, DESIGN §6).

0 stays 0 (an empty cell reveals nothing about a person), 1–7 becomes "*", anything else is
rounded to the nearest 5 (halves round up). Totals are never taken from unrounded cells beside
rounded ones: a published total is the true total put through the same rule on its own, which is
NHS Digital's practice ("totals are rounded independently and may not equal the sum of the rows").
"""

from __future__ import annotations

import dataclasses
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


EXACT = "exact (not for publication)"


@dataclasses.dataclass(frozen=True)
class Rule:
    """The rule's two numbers; a deployment sets its own in reference data (`DisclosureRule`)."""

    suppress_at_most: int = SUPPRESS_AT_MOST
    round_to: int = ROUND_TO

    def __post_init__(self) -> None:
        if self.suppress_at_most < 0 or self.round_to < 1:
            raise ValueError("disclosure rule: suppress at most ≥ 0, round to ≥ 1")

    @property
    def note(self) -> str:
        """What every published output says about itself."""
        return (
            f"Published with disclosure control: 1-{self.suppress_at_most} shown as *, other "
            f"values rounded to the nearest {self.round_to}; totals are rounded independently "
            "and may not equal the sum of the rows."
        )


NHS_DIGITAL = Rule()


def publish_value(value: int, rule: Rule = NHS_DIGITAL) -> Published:
    """One count under the rule: 0 → 0, 1–7 → "*", else the nearest multiple of 5."""
    if value < 0:
        raise ValueError("a count cannot be negative")
    if value == 0:
        return 0
    if value <= rule.suppress_at_most:
        return SUPPRESSED
    step = rule.round_to
    return ((value + step // 2) // step) * step


def publish_rows(
    rows: Iterable[Mapping[str, Any]], column: str = "count", rule: Rule = NHS_DIGITAL
) -> list[dict[str, Any]]:
    """Copies of `rows` with `column` published; other columns unchanged."""
    return [{**row, column: publish_value(int(row[column]), rule)} for row in rows]


def as_number(value: Published) -> int:
    """A published value as a bar length: suppressed cells draw as nothing."""
    return 0 if isinstance(value, str) else value
