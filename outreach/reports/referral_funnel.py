"""Referrals made → attended → started treatment, by area and period (issue 15, item 3).

A cohort count: the referrals contacts made in the period (by the contact's area and the period
of its day), and of those, how many the receiving service reported as attended (an outcome of
attended, assessed or started treatment, on any day since) and as started treatment. Outcomes
are `referral_outcome` records joined by referral code; a referral recorded without a code
cannot be followed and counts as made only.

The join needs the referral codes. An outcome's code is a facts column (`referral_code`); a
contact's are item rows on the laptop (its type's `join_items`), so the laptop reads no record
body. A hub keeps neither for contacts: there the bodies of the contacts that made referrals in
the period are read and only their codes decoded (area and day come from its facts).

Through `run_query`, as the commissioner set, so the same code runs on
the laptop's store (layouts "rollup"/"coded") and a hub's facts ("json"/"arrays").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from outreach.records import facts
from outreach.reports.countset import Cell, Headline, Table

RunQuery = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
ATTENDED = frozenset({"attended", "assessed", "started_treatment"})
STARTED = frozenset({"started_treatment"})
STAGES = ("made", "attended", "started_treatment")  # codes of the `referral_stage` list


@dataclass(frozen=True)
class Referral:
    """One referral a contact made: its code (None if recorded without one), area and day."""

    code: str | None
    area: str
    day: dt.date


def funnel(
    referrals: Iterable[Referral], outcomes: Iterable[tuple[str, str]], period: str = "month"
) -> Counter[tuple[str, str, str]]:
    """Counts per (area, period key, stage) from referrals and (referral code, outcome) pairs.

    A referral counts once per stage whatever number of outcomes it has (attended then started
    treatment is one attended, one started)."""
    reached: dict[str, set[str]] = {}
    for code, outcome in outcomes:
        reached.setdefault(code, set()).add(outcome)
    counts: Counter[tuple[str, str, str]] = Counter()
    for referral in referrals:
        key = facts.period_keys(referral.day)[period]
        counts[(referral.area, key, "made")] += 1
        got = reached.get(referral.code or "", set())
        if got & ATTENDED:
            counts[(referral.area, key, "attended")] += 1
        if got & STARTED:
            counts[(referral.area, key, "started_treatment")] += 1
    return counts


class _Code(msgspec.Struct):
    referral_code: str | None = None


class _Codes(msgspec.Struct):
    """Only what the funnel needs of a stored contact: msgspec skips the rest."""

    referrals: tuple[_Code, ...] = ()


_codes = msgspec.msgpack.Decoder(_Codes).decode
_PLAIN = ("json", "arrays")


def _rows_sql(layout: str, kind_param: str, column: str, with_referrals: bool, site: bool) -> str:
    """(`column` as text, day, body) of the active records of one type counted in :start..:end
    (optionally at one site); the day as an ordinal on the laptop, ISO text on a hub."""
    if layout in _PLAIN:
        sql = (
            f"SELECT f.{column}, f.day, r.body FROM facts f JOIN records r ON r.id = f.id "
            f"WHERE f.type = :{kind_param} AND f.active = 1 AND f.day BETWEEN :start AND :end"
        )
        if with_referrals:
            sql += " AND f.referrals IS NOT NULL"
        return sql + (" AND f.site = :site" if site else "")
    sql = (
        f"SELECT c.value, f.day, r.body FROM fact_data f "
        "JOIN records r ON r.device_seq = f.seq "
        f"LEFT JOIN codes c ON c.id = f.{column} "
        f"WHERE f.type = (SELECT id FROM codes WHERE value = :{kind_param}) AND f.active = 1 "
        "AND f.day BETWEEN :start AND :end"
    )
    if with_referrals:
        sql += (
            " AND EXISTS (SELECT 1 FROM fact_item_data i WHERE i.seq = f.seq "
            "AND i.field = (SELECT id FROM codes WHERE value = 'referrals'))"
        )
    return sql + (" AND f.site = (SELECT id FROM codes WHERE value = :site)" if site else "")


_HUB_OUTCOMES_SQL = (
    "SELECT f.referral_code, f.outcome FROM facts f WHERE f.type = :outcome "
    "AND f.active = 1 AND f.day BETWEEN :start AND :end"
)


_STAGES_SQL = (
    "SELECT f.referral_code AS code, "
    "max(CASE WHEN f.outcome IN (SELECT id FROM codes WHERE value IN "
    "('attended', 'assessed', 'started_treatment')) THEN 1 ELSE 0 END) AS attended, "
    "max(CASE WHEN f.outcome = (SELECT id FROM codes WHERE value = 'started_treatment') "
    "THEN 1 ELSE 0 END) AS started FROM fact_data f "
    "WHERE f.type = (SELECT id FROM codes WHERE value = :outcome) AND f.active = 1 "
    "AND f.day >= :start GROUP BY f.referral_code"
)


def _laptop_funnel(
    run_query: RunQuery, params: dict[str, Any], period: str
) -> Counter[tuple[str, str, str]]:
    """The funnel from the laptop's counting tables, grouped in SQL, no body read: referrals
    made from the `referrals` item rows (one per destination), attended and started from the
    contacts' `referral_code` item rows (join items) joined to the outcomes' codes (both code
    ids of the one `codes` table). Same rules as `funnel`."""
    site = " AND f.site = (SELECT id FROM codes WHERE value = :site)" if "site" in params else ""
    contacts = (
        "JOIN fact_data f ON f.seq = i.seq LEFT JOIN codes a ON a.id = f.area "
        "WHERE i.field = (SELECT id FROM codes WHERE value = '{field}') "
        "AND f.type = (SELECT id FROM codes WHERE value = :contact) AND f.active = 1 "
        f"AND f.day BETWEEN :start AND :end{site} GROUP BY f.area, f.day"
    )
    made = run_query(
        "SELECT a.value, f.day, count(*), 0 FROM fact_item_data i "
        + contacts.format(field="referrals"),
        params,
    )
    reached = run_query(
        "SELECT a.value, f.day, sum(o.attended), sum(o.started) FROM fact_item_data i "
        f"JOIN ({_STAGES_SQL}) o ON o.code = i.value " + contacts.format(field="referral_code"),
        params,
    )
    counts: Counter[tuple[str, str, str]] = Counter()

    def add(area: str, day: int, stage: str, n: int | None) -> None:
        if n:  # a stage no referral reached has no key, as in `funnel`
            counts[(area, facts.period_keys(dt.date.fromordinal(day))[period], stage)] += int(n)

    for area, day, n, _ in made:
        add(area, day, "made", n)
    for area, day, attended, started in reached:
        add(area, day, "attended", attended)
        add(area, day, "started_treatment", started)
    return counts


def _day(layout: str, day: dt.date) -> int | str:
    return day.isoformat() if layout in _PLAIN else day.toordinal()


def _as_date(layout: str, value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if layout in _PLAIN else dt.date.fromordinal(value)


def read_funnel(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    *,
    layout: str = "coded",
    period: str = "month",
) -> Counter[tuple[str, str, str]]:
    """The funnel for referrals made `start`..`end` (at one site if asked); outcomes of any
    site, for days from `start` on. Area and day come from the counting tables; of each
    record's body only its referral codes are decoded (the 1M-record budget)."""
    params: dict[str, Any] = {
        "contact": "contact",
        "outcome": "referral_outcome",
        "start": _day(layout, start),
        "end": _day(layout, end),
    }
    if site is not None:
        params["site"] = site
    if layout not in _PLAIN:
        return _laptop_funnel(run_query, params, period)
    contacts = run_query(_rows_sql(layout, "contact", "area", True, site is not None), params)
    referrals = [
        Referral(referral.referral_code, area, _as_date(layout, day))
        for area, day, body in contacts
        for referral in _codes(bytes(body)).referrals
    ]
    later = dict(params, end=_day(layout, dt.date.max))
    outcomes = [(code, outcome) for code, outcome in run_query(_HUB_OUTCOMES_SQL, later)]
    return funnel(referrals, outcomes, period)


def funnel_counts(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    *,
    layout: str = "coded",
) -> tuple[tuple[Headline, ...], Table]:
    """The commissioner set's part: headlines per stage and the table by area, month, stage."""
    counts = read_funnel(run_query, start, end, site, layout=layout)
    totals: Counter[str] = Counter()
    for (_, _, stage), n in counts.items():
        totals[stage] += n
    headlines = (
        Headline("referrals_attended", "Referrals attended", totals["attended"]),
        Headline(
            "referrals_started_treatment",
            "Referrals that started treatment",
            totals["started_treatment"],
        ),
    )
    rows: list[tuple[tuple[Cell, ...], int]] = [
        ((area, month, stage), counts[(area, month, stage)])
        for area, month in sorted({(a, m) for a, m, _ in counts})
        for stage in STAGES
    ]
    table = Table(
        "referral_funnel_by_area",
        "Referrals made, attended and started treatment, by area and month made",
        ("area", "month", "stage"),
        tuple(rows),
        ("", "", "referral_stage"),
    )
    return headlines, table
