"""The quarterly take-home naloxone return: columns, rows, disclosure, CSV and PDF text."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from outreach.domain.vocab import base_vocabulary
from outreach.reports.countset import CountSet, Headline, Table
from outreach.reports.naloxone_return import (
    build_return,
    return_csv,
    return_periods,
    return_quarter,
    write_return_csv,
)
from outreach.reports.naloxone_return_pdf import write_return_pdf
from outreach.reports.periods import Period

# kits per quarter of FY2026-27 (Q1, Q2) and the year to date: person at risk / family or friend
KITS = {
    "FY2026-27 Q1": {"person_at_risk": 12, "family_friend": 3},
    "FY2026-27 Q2": {"person_at_risk": 20, "family_friend": 0},
    "2026-04-01..2026-09-30": {"person_at_risk": 32, "family_friend": 3},
}


def _set(period: Period) -> CountSet:
    """A count set as the hub or a laptop gives one: kits by recipient, all first supplies."""
    kits = KITS[period.label]
    total = sum(kits.values())
    recipients = tuple(((code,), n) for code, n in kits.items() if n)
    return CountSet(
        period.start,
        period.end,
        None,
        (Headline("kits", "Kits supplied", total),),
        (
            Table("kits_by_recipient", "", ("recipient",), recipients, ("recipient",)),
            Table("kits_by_supply", "", ("supply",), ((("first",), total),), ("supply",)),
            Table("repeat_kits_by_reason", "", ("resupply_reason",), (), ("resupply_reason",)),
            Table("kits_by_product", "", ("product",), ((("nyxoid_1_8mg_nasal",), total),)),
            Table("kits_by_site", "", ("site",), ((("outreach_van",), total),), ("site",)),
        ),
    )


def _return(published: bool):  # type: ignore[no-untyped-def]
    def count(period: Period) -> CountSet:
        made = _set(period)
        return made.for_publication() if published else made

    return build_return(count, 2026, 2, vocab=base_vocabulary(), scope="Whole service")


def _rows(made, name: str) -> dict[str | None, tuple[object, ...]]:  # type: ignore[no-untyped-def]
    section = next(s for s in made.sections if s.name == name)
    return {code: values for code, _, values in section.rows}


def test_periods_are_the_quarters_then_the_year_to_date() -> None:
    periods = return_periods(2026, 3)
    assert [p.label for p in periods] == [
        "FY2026-27 Q1",
        "FY2026-27 Q2",
        "FY2026-27 Q3",
        "2026-04-01..2026-12-31",
    ]
    assert return_quarter(dt.date(2027, 2, 10)) == (2026, 4)
    assert return_quarter(dt.date(2026, 4, 1)) == (2026, 1)
    assert return_quarter(dt.date(2026, 9, 30)) == (2026, 2)


def test_exact_and_published_figures() -> None:
    """Exact: the counts. Published: 1-7 → *, others to the nearest 5, 0 stays 0, and the year
    to date is its own total through the rule (32 → 30, not 10 + 20)."""
    exact = _return(False)
    assert exact.columns == ("Q1", "Q2", "Year to date")
    assert _rows(exact, "total") == {None: (15, 20, 35)}
    assert _rows(exact, "by_recipient")["person_at_risk"] == (12, 20, 32)
    assert _rows(exact, "by_recipient")["carer"] == (0, 0, 0)  # a national row reads 0
    assert _rows(exact, "repeat_reasons")["used_on_self"] == (0, 0, 0)
    published = _return(True)
    assert published.published and "1-7 shown as *" in published.status
    assert _rows(published, "by_recipient")["person_at_risk"] == (10, 20, 30)
    assert _rows(published, "by_recipient")["family_friend"] == ("*", 0, "*")
    assert not exact.published and exact.status == "exact (not for publication)"


def test_unrecorded_tables_say_so_and_a_mixed_return_is_refused() -> None:
    made = _return(True)
    unrecorded = {s.name: s.not_recorded for s in made.sections if s.not_recorded}
    assert set(unrecorded) == {"by_gender", "by_age_band", "by_channel"}
    text = return_csv(made)
    assert "by_age_band,,a kit issue records no age band,not recorded,not recorded" in text
    assert all(line.endswith('."') for line in text.splitlines()[1:])  # the rule on every row

    def mixed(period: Period) -> CountSet:
        made = _set(period)
        return made if period.label.endswith("Q1") else made.for_publication()

    with pytest.raises(ValueError, match="all be published, or all exact"):
        build_return(mixed, 2026, 2, vocab=base_vocabulary(), scope="This laptop")


def test_pdf_and_csv_files(tmp_path: Path) -> None:
    made = _return(True)
    write_return_pdf(made, tmp_path / "r.pdf")
    write_return_csv(made, tmp_path / "r.csv")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Take-home naloxone return, FY2026-27 Q2" in text and "For publication" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("Family or friend"))
    assert line.split()[-3:] == ["*", "0", "*"]
    line = next(x for x in text.splitlines() if x.strip().startswith("Person at risk"))
    assert line.split()[-3:] == ["10", "20", "30"]
    assert "Not recorded: a kit issue records its site, not a supply channel" in text
    assert (tmp_path / "r.csv").read_text().startswith("table,category,label,q1,q2,year_to_date")
