"""The commissioner's count set, over the laptop store or the hub (all devices).

Every query goes through a `run_query(sql, params) -> rows` callable with named parameters, so the
same code runs on the laptop's dictionary-coded tables (layout "coded") and on a hub's plain
`facts` table, list fields as JSON on SQLite (layout "json") or arrays on PostgreSQL (layout
"arrays"). A few wide grouped counts
(one scan per record type) are split into the published tables in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from outreach.domain.roles import Action
from outreach.domain.vocab import USE_REASONS
from outreach.records.facts import ITEM_FIELDS
from outreach.reports.countset import Cell, CountSet, Headline, Table
from outreach.reports.follow_ups import DEFAULT_WINDOW, FollowUpWindow, follow_up_counts
from outreach.reports.overdoses import prevention_counts
from outreach.reports.report_tables import TABLES, ReportTable, counted_fields
from outreach.store.counts import LIST_VALUES, PLAIN_LAYOUTS, Layout, count_query
from outreach.store.purge import PurgedSpan, purged_overlap

if TYPE_CHECKING:
    from outreach.store.store import Store

RunQuery = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
HIGH_RISK = ("high", "very_high")
Margins = dict[str, Counter[Cell]]


COUNTED_TYPES = tuple(dict.fromkeys(table.kind for table in TABLES))  # counted by field
# what the set reads: also the prevention types (outreach.reports.overdoses, issue 15)
READ_TYPES = (*COUNTED_TYPES, "overdose_event", "referral_outcome", "follow_up")


class CountSource(Protocol):
    """Where a count set's numbers come from: the laptop's or a hub's tables."""

    def margins(self, kind: str, fields: Sequence[str], start: dt.date, end: dt.date) -> Margins:
        """Active records of `kind` in the period by each of `fields`."""
        ...

    def people(self, start: dt.date, end: dt.date) -> tuple[Headline, ...]:
        """The headlines about people (distinct client codes)."""
        ...

    def high_risk(self, start: dt.date, end: dt.date) -> Table:
        """High-risk people without a kit, by area and risk level."""
        ...

    def prevention(
        self, start: dt.date, end: dt.date
    ) -> tuple[Sequence[Headline], Sequence[Table]]:
        """Overdose events and referral outcomes (`reports.overdoses`)."""
        ...

    def facts(self) -> tuple[RunQuery, Layout]:
        """The per-record counting tables and their layout (follow-ups, `reports.follow_ups`;
        not narrowed by area)."""
        ...


def commissioner_counts(
    run_query: RunQuery,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    *,
    layout: Layout = "coded",
) -> CountSet:
    """Counts for `start`..`end` (inclusive), optionally for one site; true values, unpublished."""
    return build_count_set(FactSource(run_query, layout, site), start, end, site)


def build_count_set(
    source: CountSource,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    area: str | None = None,
    window: FollowUpWindow = DEFAULT_WINDOW,
) -> CountSet:
    """The set from any source: the tables, then the headlines read off them.

    Validation makes a resupply reason present exactly on repeat kits, so the repeat tables come
    from the reason margin without crossing it with supply."""
    margins = {
        kind: source.margins(kind, counted_fields(kind), start, end) for kind in COUNTED_TYPES
    }
    tables = tuple(_table(spec, margins[spec.kind]) for spec in TABLES)
    at_risk = source.high_risk(start, end)
    headlines = (
        *_headlines(margins, tables, source.people(start, end)),
        Headline("high_risk_without_kit", at_risk.title, sum(int(n) for _, n in at_risk.rows)),
    )
    more_headlines, more_tables = source.prevention(start, end)
    run_query, layout = source.facts()
    due_headlines, due_table = follow_up_counts(run_query, start, end, site, layout, window)
    return CountSet(
        start,
        end,
        site,
        (*headlines, *more_headlines, *due_headlines),
        (*tables, at_risk, *more_tables, due_table),
        area=area,
    )


def _headlines(
    margins: dict[str, Margins], tables: Sequence[Table], people: Sequence[Headline]
) -> tuple[Headline, ...]:
    kits, uses, contacts = margins["kit_issue"], margins["naloxone_use"], margins["contact"]
    by_name = {table.name: table for table in tables}
    reasons = kits["resupply_reason"]
    trained_kits = sum(
        int(n) for (code,), n in by_name["kits_by_training"].rows if code not in (None, "declined")
    )
    trained_contacts = sum(
        int(n) for (code,), n in by_name["interventions"].rows if code == "naloxone_training"
    )
    return (
        Headline("contacts", "Contacts", _total(contacts)),
        *people,
        Headline("kits", "Kits supplied", _total(kits)),
        Headline("repeat_kits", "Repeat kits", kits["supply"]["repeat"]),
        Headline(
            "repeats_due_to_use",
            "Repeat kits because a kit was used",
            sum(reasons[reason] for reason in USE_REASONS),
        ),
        Headline("naloxone_uses", "Naloxone use reports", _total(uses)),
        Headline("kits_with_training", "Kits given with training", trained_kits),
        Headline("contacts_with_training", "Contacts with naloxone training", trained_contacts),
        Headline("referrals", "Referrals made", sum(contacts["referrals"].values())),
    )


def _total(margins: Margins) -> int:
    """Records counted: every record has exactly one site."""
    return sum(margins["site"].values())


class FactSource:
    """The laptop's store (layout "rollup"/"coded") or a hub's facts ("json"/"arrays")."""

    def __init__(self, run_query: RunQuery, layout: Layout, site: str | None) -> None:
        self.run_query, self.layout, self.site = run_query, layout, site

    def margins(self, kind: str, fields: Sequence[str], start: dt.date, end: dt.date) -> Margins:
        return _margins(self.run_query, fields, start, end, kind, self.layout, self.site)

    def people(self, start: dt.date, end: dt.date) -> tuple[Headline, ...]:
        reached = people_reached(self.run_query, start, end, self.site, layout=self.layout)
        return (Headline("people_reached", "People reached (distinct client codes)", reached),)

    def prevention(
        self, start: dt.date, end: dt.date
    ) -> tuple[Sequence[Headline], Sequence[Table]]:
        return prevention_counts(self.run_query, start, end, self.site, layout=self.layout)

    def facts(self) -> tuple[RunQuery, Layout]:
        return self.run_query, self.layout

    def high_risk(self, start: dt.date, end: dt.date) -> Table:
        rows = high_risk_without_kit(self.run_query, start, end, self.site, layout=self.layout)
        return Table(
            "high_risk_without_kit_by_area",
            "High-risk people without a kit in the period, by area",
            ("area", "risk_level"),
            tuple(rows),
            ("", "risk_level"),
        )


def _margins(
    run_query: RunQuery,
    fields: Sequence[str],
    start: dt.date,
    end: dt.date,
    kind: str,
    layout: Layout,
    site: str | None,
) -> Margins:
    """Counts of `kind` by each of `fields` (site first), for one site if asked.

    From the laptop's roll-up, one small query per field. Elsewhere one grouped scan of the
    scalar fields, summed down to each, and one scan per list field (crossing two list fields
    would drop the records that have none of one).
    """
    # (fields grouped by, fields whose margins the rows give); site comes first in each
    if layout == "rollup":
        groups = [(["site"] if field == "site" else ["site", field], [field]) for field in fields]
    else:
        scalars = [field for field in fields if field not in ITEM_FIELDS]
        groups = [(scalars, scalars), *((["site", f], [f]) for f in fields if f in ITEM_FIELDS)]
    margins: Margins = {field: Counter() for field in fields}
    for by, counted in groups:
        sql, params, _ = count_query(by, start, end, kind, layout=layout)
        for row in run_query(sql, params):
            if site is None or row[0] == site:
                for field in counted:
                    margins[field][row[by.index(field)]] += int(row[-1])
    return margins


def _table(spec: ReportTable, margins: Margins) -> Table:
    """One field's counts as a table; rows sorted by count (largest first), then code. A
    repeat-reason table leaves out the first kits (no reason)."""
    counts = margins[spec.field]
    if spec.field == "resupply_reason":
        counts = Counter({reason: n for reason, n in counts.items() if reason is not None})
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))
    rows = tuple(((code,), n) for code, n in ordered)
    return Table(spec.name, spec.title, (spec.field,), rows, (spec.vocab,))


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


def store_runner(conn: Any) -> RunQuery:
    """A `run_query` over a DB-API connection (the laptop's SQLCipher connection)."""

    def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return list(conn.execute(sql, params).fetchall())

    return run


def store_counts(store: Store, start: dt.date, end: dt.date, site: str | None = None) -> CountSet:
    """The count set from an unlocked store, for a role that may read every type it counts
    (NotPermitted otherwise: a pharmacy user cannot export contact counts)."""
    store.require(Action.READ, *READ_TYPES)
    return local_counts(store.conn, start, end, site)


def local_counts(conn: Any, start: dt.date, end: dt.date, site: str | None = None) -> CountSet:
    """The commissioner set from this laptop's store (its dictionary-coded tables). Counts of
    people over a period that includes purged records are marked not exact, with a note."""
    counts = commissioner_counts(store_runner(conn), start, end, site, layout="rollup")
    span = purged_overlap(conn, start, end)
    if span is None:
        return counts
    return dataclasses.replace(counts, not_exact=PER_PERSON, note=purged_note(span))


# What needs each person's records, which a retention purge removes (everything else in the set
# is the roll-up's, which the purge keeps).
PER_PERSON = ("people_reached", "high_risk_without_kit", "high_risk_without_kit_by_area")


def purged_note(span: PurgedSpan) -> str:
    return (
        f"Records from {span.first:%d %b %Y} to {span.last:%d %b %Y} have left this laptop "
        "after the hub confirmed them (retention). People reached and high-risk people without "
        "a kit are counted from the records still here (marked †); the hub's report has the "
        "full figures. Every other count is unchanged."
    )
