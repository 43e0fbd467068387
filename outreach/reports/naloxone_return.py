"""The quarterly take-home naloxone return, shaped like the published UK national naloxone tables.

The national tables (e.g. Public Health Scotland's National Naloxone Programme, OHID's take-home
naloxone tables) give kits supplied, per quarter, by recipient type, first or repeat supply,
reason for a repeat supply, gender, age band and supply channel. This return builds those tables
from count sets (the whole service's from the hub, or one laptop's): one column per quarter of
the financial year up to the chosen quarter, then the year to date (its own count set, so a
published total is the true total put through the rule, never a sum of rounded cells).

Only fields Outreach records are filled. A kit issue carries no gender, age band or supply
channel, so those tables say "not recorded" (listed in docs/naloxone-return.md) rather than
borrow contact figures. Published sets print suppressed cells as "*"; every output says whether
it is published or exact.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from outreach.config import write_atomic
from outreach.domain.vocab import Vocabulary
from outreach.reports.countset import Cell, CountSet
from outreach.reports.disclosure import Published
from outreach.reports.periods import Period, financial_year, fy, fy_label, fy_quarter

NOT_RECORDED = "not recorded"


@dataclasses.dataclass(frozen=True)
class Section:
    """One national table: (code, label) rows, one value per column of the return; a section
    whose field Outreach does not record has no rows and says why in `not_recorded`."""

    name: str
    title: str
    rows: tuple[tuple[Cell, str, tuple[Published, ...]], ...]
    not_recorded: str = ""


@dataclasses.dataclass(frozen=True)
class NaloxoneReturn:
    year: int
    quarter: int
    site: str | None
    scope: str  # "Whole service" or "This laptop"
    columns: tuple[str, ...]  # "Q1" … "Qn", "Year to date"
    periods: tuple[Period, ...]  # one per column
    sections: tuple[Section, ...]
    published: bool
    status: str  # the disclosure rule's text, or "exact (not for publication)"

    @property
    def title(self) -> str:
        return f"Take-home naloxone return, {fy_label(self.year)} Q{self.quarter}"


# (name, title, count-set table, code list) of the national tables Outreach can fill, in order
FILLED = (
    ("by_recipient", "Kits supplied by recipient type", "kits_by_recipient", "recipient"),
    ("by_supply", "Kits supplied: first or repeat supply", "kits_by_supply", "supply"),
    (
        "repeat_reasons",
        "Repeat kits by reason for resupply",
        "repeat_kits_by_reason",
        "resupply_reason",
    ),
    ("by_product", "Kits supplied by product", "kits_by_product", "product"),
    ("by_outlet", "Kits supplied by site (outlet)", "kits_by_site", "site"),
)
# National tables whose field a kit issue does not carry (docs/naloxone-return.md)
UNRECORDED = (
    ("by_gender", "Kits supplied by gender of recipient", "a kit issue records no gender"),
    ("by_age_band", "Kits supplied by age band of recipient", "a kit issue records no age band"),
    (
        "by_channel",
        "Kits supplied by supply channel (community, pharmacy, prison)",
        "a kit issue records its site, not a supply channel",
    ),
)


def return_quarter(day: dt.date) -> tuple[int, int]:
    """(financial year, quarter) that `day` falls in."""
    return financial_year(day), (day.month - 4) % 12 // 3 + 1


def return_periods(year: int, quarter: int) -> tuple[Period, ...]:
    """Q1 … Q`quarter` of the financial year starting April `year`, then the year to date."""
    quarters = tuple(fy_quarter(year, q) for q in range(1, quarter + 1))
    start = fy(year).start
    end = quarters[-1].end
    return (*quarters, Period(start, end, f"{start.isoformat()}..{end.isoformat()}"))


def build_return(
    count: Callable[[Period], CountSet],
    year: int,
    quarter: int,
    *,
    vocab: Vocabulary,
    scope: str,
    site: str | None = None,
) -> NaloxoneReturn:
    """The return from `count(period)` for each quarter and the year to date (all published
    or all exact: ValueError when they differ)."""
    periods = return_periods(year, quarter)
    sets = [count(period) for period in periods]
    if len({s.status for s in sets}) != 1:
        raise ValueError("the quarters of a return must all be published, or all exact")
    totals: list[Published] = [s.headline("kits") for s in sets]
    sections = [Section("total", "Kits supplied (all)", ((None, "All kits", tuple(totals)),))]
    for name, title, table, list_name in FILLED:
        sections.append(Section(name, title, _rows(sets, table, list_name, vocab)))
    sections += [Section(name, title, (), why) for name, title, why in UNRECORDED]
    return NaloxoneReturn(
        year,
        quarter,
        site,
        scope,
        (*(f"Q{q}" for q in range(1, quarter + 1)), "Year to date"),
        periods,
        tuple(sections),
        sets[0].published,
        sets[0].status,
    )


def _rows(
    sets: Sequence[CountSet], table: str, list_name: str, vocab: Vocabulary
) -> tuple[tuple[Cell, str, tuple[Published, ...]], ...]:
    """Every code of the list (in its order, so a national row reads 0 rather than vanishing),
    then any other code seen, then "not recorded" if any count lacks the field."""
    found = [dict((keys[0], n) for keys, n in s.table(table).rows) for s in sets]
    codes: list[Cell] = list(vocab.codes(list_name)) if list_name in vocab.lists else []
    if list_name in ("site", "product"):  # long lists: the rows with kits only
        codes = [code for code in codes if any(code in counts for counts in found)]
    for counts in found:
        codes += [code for code in counts if code not in codes]
    return tuple(
        (
            code,
            vocab.label(list_name, code) if code is not None else "Not recorded",
            tuple(counts.get(code, 0) for counts in found),
        )
        for code in codes
    )


def return_csv(nreturn: NaloxoneReturn) -> str:
    """One tidy CSV: a row per table row, a column per quarter and the year to date, and the
    disclosure status on every row (a table read alone still says what it is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ("table", "category", "label", *(_column(c) for c in nreturn.columns), "status")
    )
    for section in nreturn.sections:
        if section.not_recorded:
            values = [NOT_RECORDED] * len(nreturn.columns)
            writer.writerow((section.name, "", section.not_recorded, *values, nreturn.status))
        for code, label, counts in section.rows:
            writer.writerow((section.name, code or "", label, *counts, nreturn.status))
    return buffer.getvalue()


def _column(name: str) -> str:
    return name.lower().replace(" ", "_")


def write_return_csv(nreturn: NaloxoneReturn, path: Path) -> None:
    write_atomic(path, return_csv(nreturn).encode())
