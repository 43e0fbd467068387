"""Reporting periods: months, UK financial-year quarters (April–March) and financial years.

Written as text so a command line, the hub's query string and the desktop agree:
`2026-01` (a month), `FY2026-27` (1 April 2026 – 31 March 2027), `FY2026-27 Q1` (April–June
2026; Q4 is January–March 2027), or `2026-01-01..2026-03-31` (any days, inclusive).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import NamedTuple

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_FY = re.compile(r"FY([0-9]{4})-([0-9]{2})(?:[ _-]?Q([1-4]))?", re.ASCII | re.IGNORECASE)
_DAYS = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})", re.ASCII)


class Period(NamedTuple):
    start: dt.date
    end: dt.date
    label: str


def financial_year(day: dt.date) -> int:
    """The year a UK financial year starts in (1 April)."""
    return day.year if day.month >= 4 else day.year - 1


def fy_label(year: int) -> str:
    return f"FY{year}-{(year + 1) % 100:02d}"


def month(year: int, number: int) -> Period:
    last = calendar.monthrange(year, number)[1]
    return Period(dt.date(year, number, 1), dt.date(year, number, last), f"{year}-{number:02d}")


def fy(year: int) -> Period:
    return Period(dt.date(year, 4, 1), dt.date(year + 1, 3, 31), fy_label(year))


def fy_quarter(year: int, quarter: int) -> Period:
    """Quarter 1–4 of the financial year starting 1 April `year`."""
    if not 1 <= quarter <= 4:
        raise ValueError("a quarter is 1 to 4")
    first = 4 + 3 * (quarter - 1)
    start_year = year + (first - 1) // 12
    first = (first - 1) % 12 + 1
    end = month(start_year, first + 2).end
    return Period(dt.date(start_year, first, 1), end, f"{fy_label(year)} Q{quarter}")


def parse_period(text: str) -> Period:
    """A period from its text (module docstring); ValueError with a plain message otherwise."""
    cleaned = text.strip()
    try:
        period = _parse(cleaned)
    except ValueError as exc:
        raise ValueError(f"{cleaned[:40]}: not a real period ({exc})") from None
    if period is None:
        raise ValueError(
            f"'{cleaned[:40]}' is not a period: use 2026-01, FY2026-27, FY2026-27 Q1 "
            "or 2026-01-01..2026-03-31"
        )
    if period.start > period.end:
        raise ValueError(f"{cleaned}: the start is after the end")
    return period


def _parse(cleaned: str) -> Period | None:
    if found := _FY.fullmatch(cleaned):
        year = int(found.group(1))
        if (year + 1) % 100 != int(found.group(2)):
            raise ValueError("a financial year runs into the next year")
        quarter = found.group(3)
        return fy_quarter(year, int(quarter)) if quarter else fy(year)
    if found := _MONTH.fullmatch(cleaned):
        return month(int(found.group(1)), int(found.group(2)))
    if found := _DAYS.fullmatch(cleaned):
        start, end = (dt.date.fromisoformat(found.group(i)) for i in (1, 2))
        return Period(start, end, cleaned)
    return None
