"""The commissioner set's people figures from per-record tables (the laptop's store or a hub's
facts): distinct client codes reached, and high-risk people without a kit. Split from
`outreach.reports.commissioner` (which re-exports them) to keep that module small."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from outreach.reports.countset import Cell
from outreach.store.counts import LIST_VALUES, PLAIN_LAYOUTS, Layout

RunQuery = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
HIGH_RISK = ("high", "very_high")


class _Sql:
    """Table names and code matching for one layout."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.coded = layout not in PLAIN_LAYOUTS
        self.table = "fact_data" if self.coded else "facts"

    def has_item(self, field: str, value_param: str) -> str:
        """SQL true when the row `f` lists the code `:value_param` in its list `field`."""
        if self.layout in LIST_VALUES:
            values = LIST_VALUES[self.layout].format(field=field, alias="i")
            return f"EXISTS (SELECT 1 FROM {values} WHERE i.value = :{value_param})"
        return (  # the laptop's coded item rows
            "EXISTS (SELECT 1 FROM fact_item_data i WHERE i.seq = f.seq "
            f"AND i.field = {self.code(field)} AND i.value = {self.code(value_param)})"
        )

    def code(self, param: str) -> str:
        return f"(SELECT id FROM codes WHERE value = :{param})" if self.coded else f":{param}"

    def day(self, value: dt.date) -> int | str:
        return value.toordinal() if self.coded else value.isoformat()

    def decoded(self, expression: str, alias: str) -> tuple[str, str]:
        """(select expression, join) turning a grouped column back into text."""
        if not self.coded:
            return expression, ""
        return f"c_{alias}.value", f"LEFT JOIN codes c_{alias} ON c_{alias}.id = {expression}"


def people_reached(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    *,
    layout: Layout = "coded",
) -> int:
    """Distinct client codes seen on contacts or kit issues in the period."""
    q = _Sql(layout)
    params: dict[str, Any] = {
        "contact": "contact",
        "kit": "kit_issue",
        "start": q.day(start),
        "end": q.day(end),
    }
    sql = (
        f"SELECT count(DISTINCT f.client_code) FROM {q.table} f "
        f"WHERE f.type IN ({q.code('contact')}, {q.code('kit')}) AND f.active = 1 "
        "AND f.day BETWEEN :start AND :end AND f.client_code IS NOT NULL"
    )
    if site is not None:
        params["site"] = site
        sql += f" AND f.site = {q.code('site')}"
    rows = run_query(sql, params)
    return int(rows[0][0]) if rows else 0


def high_risk_without_kit(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    *,
    layout: Layout = "coded",
) -> list[tuple[tuple[Cell, ...], int]]:
    """People at high or very high risk seen in the period with no kit in the period, by area.

    A person with a client code has a kit if any kit issue in the period (any site) carries that
    code; a contact without a code has one if it recorded "naloxone supplied". People are counted
    once per area and risk level by code; contacts without a code count one each.
    """
    q = _Sql(layout)
    params: dict[str, Any] = {
        "contact": "contact",
        "kit": "kit_issue",
        "high": HIGH_RISK[0],
        "very_high": HIGH_RISK[1],
        "interventions": "interventions",
        "supplied": "naloxone_supplied",
        "start": q.day(start),
        "end": q.day(end),
    }
    site_match = ""
    if site is not None:
        params["site"] = site
        site_match = f" AND f.site = {q.code('site')}"
    inner = (
        f"SELECT f.area AS area, f.risk_level AS risk, "
        "count(DISTINCT f.client_code) + sum(CASE WHEN f.client_code IS NULL THEN 1 ELSE 0 END) "
        f"AS n FROM {q.table} f "
        f"WHERE f.type = {q.code('contact')} AND f.active = 1 "
        f"AND f.day BETWEEN :start AND :end{site_match} "
        f"AND f.risk_level IN ({q.code('high')}, {q.code('very_high')}) "
        "AND ((f.client_code IS NOT NULL AND f.client_code NOT IN ("
        f"SELECT k.client_code FROM {q.table} k WHERE k.type = {q.code('kit')} "
        "AND k.active = 1 AND k.day BETWEEN :start AND :end AND k.client_code IS NOT NULL)) "
        f"OR (f.client_code IS NULL AND NOT {q.has_item('interventions', 'supplied')})) "
        "GROUP BY f.area, f.risk_level"
    )
    area, area_join = q.decoded("g.area", "area")
    risk, risk_join = q.decoded("g.risk", "risk")
    sql = f"SELECT {area}, {risk}, g.n FROM ({inner}) g {area_join} {risk_join}"
    rows = [((row[0], row[1]), int(row[2])) for row in run_query(sql, params)]
    return sorted(rows, key=lambda item: (-item[1], item[0][0] or "", item[0][1] or ""))
