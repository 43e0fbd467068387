"""Reporting periods (UK financial years and quarters), the deployment's disclosure rule and the
count set's wire form (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.reports.countset import CountSet, Headline, Table
from outreach.reports.disclosure import EXACT, Rule, publish_value
from outreach.reports.periods import financial_year, parse_period

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-02", D(2026, 2, 1), D(2026, 2, 28)),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        ("FY2026-27", D(2026, 4, 1), D(2027, 3, 31)),
        ("fy2026-27", D(2026, 4, 1), D(2027, 3, 31)),
        ("FY2026-27 Q1", D(2026, 4, 1), D(2026, 6, 30)),
        ("FY2026-27 Q2", D(2026, 7, 1), D(2026, 9, 30)),
        ("FY2026-27 Q3", D(2026, 10, 1), D(2026, 12, 31)),
        ("FY2026-27 Q4", D(2027, 1, 1), D(2027, 3, 31)),
        ("FY1999-00 Q4", D(2000, 1, 1), D(2000, 3, 31)),
        ("2026-01-05..2026-01-05", D(2026, 1, 5), D(2026, 1, 5)),
    ],
)
def test_periods_read_as_the_days_they_cover(text: str, start: dt.date, end: dt.date) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FY2026-28", "runs into the next year"),
        ("2026-13", "not a real period"),
        ("FY2026-27 Q5", "is not a period"),
        ("2026-02-01..2026-01-01", "start is after the end"),
        ("2026-02-30..2026-03-01", "not a real period"),
        ("last tuesday", "is not a period"),
        ("", "is not a period"),
    ],
)
def test_a_bad_period_is_a_plain_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_period(text)


def test_the_financial_year_starts_in_april() -> None:
    assert financial_year(D(2026, 3, 31)) == 2025
    assert financial_year(D(2026, 4, 1)) == 2026


def test_the_rule_is_configurable() -> None:
    """NHS Digital's by default; a deployment's thresholds and rounding when given."""
    assert [publish_value(n) for n in (0, 1, 7, 8, 12, 13)] == [0, "*", "*", 10, 10, 15]
    rule = Rule(suppress_at_most=2, round_to=10)
    assert [publish_value(n, rule) for n in (0, 2, 3, 14, 15)] == [0, "*", 0, 10, 20]
    with pytest.raises(ValueError, match="round to"):
        Rule(round_to=0)


def test_a_count_set_says_which_it_is_and_survives_the_wire() -> None:
    exact = CountSet(
        D(2026, 4, 1),
        D(2026, 6, 30),
        None,
        (Headline("kits", "Kits supplied", 12),),
        (
            Table(
                "kits_by_site", "Kits by site", ("site",), ((("van",), 5), ((None,), 7)), ("site",)
            ),
        ),
    )
    assert exact.status == EXACT
    published = exact.for_publication(Rule(4, 5))
    assert published.status.startswith("Published with disclosure control: 1-4 shown as *")
    assert published.headline("kits") == 10
    assert published.table("kits_by_site").rows == ((("van",), 5), ((None,), 5))
    for counts in (exact, published):
        assert CountSet.from_wire(counts.as_wire()) == counts
