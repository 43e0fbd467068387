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
from outreach.records import registry
from outreach.records.facts import ITEM_FIELDS
from outreach.reports.countset import Cell, CountSet, Headline, Table
from outreach.reports.follow_ups import DEFAULT_WINDOW, FollowUpWindow, follow_up_counts
from outreach.reports.overdoses import prevention_counts
from outreach.reports.people import HIGH_RISK as HIGH_RISK
from outreach.reports.people import high_risk_without_kit, people_reached
from outreach.store.counts import Layout, count_query
from outreach.store.purge import PurgedSpan, purged_overlap

if TYPE_CHECKING:
    from outreach.store.store import Store

RunQuery = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
Margins = dict[str, Counter[Cell]]


@dataclasses.dataclass(frozen=True)
class ReportTable:
    """One published table: a record type's counts by one of its counted fields (registry)."""

    name: str
    title: str
    kind: str
    field: str

    @property
    def vocab(self) -> str:
        """The code list of the field, as the record type declares it ("" if none)."""
        struct = registry.struct_of(self.kind)
        coded = {**getattr(struct, "CODED", {}), **getattr(struct, "CODED_LISTS", {})}
        return coded.get(self.field, _UNDECLARED_LISTS.get(self.field, ""))


# Referrals are structs (destination and code), counted by destination: no CODED entry.
_UNDECLARED_LISTS = {"referrals": "referral_to"}
TABLES = (
    ReportTable("kits_by_product", "Kits by product", "kit_issue", "product"),
    ReportTable("kits_by_recipient", "Kits by recipient", "kit_issue", "recipient"),
    ReportTable("kits_by_site", "Kits by site (outlet)", "kit_issue", "site"),
    ReportTable("kits_by_supply", "Kits: first or repeat supply", "kit_issue", "supply"),
    ReportTable("repeat_kits_by_reason", "Repeat kits by reason", "kit_issue", "resupply_reason"),
    ReportTable("kits_by_training", "Kits by training given", "kit_issue", "training"),
    ReportTable(
        "naloxone_use_by_outcome", "Naloxone use reports by outcome", "naloxone_use", "outcome"
    ),
    ReportTable(
        "naloxone_use_by_administered_by",
        "Naloxone use reports by who gave it",
        "naloxone_use",
        "administered_by",
    ),
    ReportTable(
        "naloxone_use_by_ambulance",
        "Naloxone use reports: ambulance called",
        "naloxone_use",
        "ambulance_called",
    ),
    ReportTable("contacts_by_setting", "Contacts by setting", "contact", "setting"),
    ReportTable("interventions", "Contacts by intervention", "contact", "interventions"),
    ReportTable("referrals_by_destination", "Referrals by destination", "contact", "referrals"),
)


def counted_fields(kind: str) -> tuple[str, ...]:
    """The fields the set counts `kind` by, site first; each checked against the registry
    (ValueError for a table over a field its record type does not count)."""
    fields = (
        "site",
        *dict.fromkeys(t.field for t in TABLES if t.kind == kind and t.field != "site"),
    )
    known = registry.count_fields().get(kind, ())
    missing = [field for field in fields if field not in known]
    if missing:
        raise ValueError(f"the commissioner set counts {kind} by {missing}: not counted fields")
    return fields


COUNTED_TYPES = tuple(dict.fromkeys(table.kind for table in TABLES))  # what the tables read
# and what the sections over the facts read (issue 15)
SECTION_TYPES = ("overdose_event", "referral_outcome", "follow_up")


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

    def facts(self) -> tuple[RunQuery, Layout]:
        """The per-record counting tables and their layout, for the sections read from them
        (issue 15: overdose events, referral funnel, follow-ups; not narrowed by area)."""
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
    run_query, layout = source.facts()
    more_headlines, more_tables = prevention_counts(run_query, start, end, site, layout=layout)
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


def store_runner(conn: Any) -> RunQuery:
    """A `run_query` over a DB-API connection (the laptop's SQLCipher connection)."""

    def run(sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return list(conn.execute(sql, params).fetchall())

    return run


def store_counts(store: Store, start: dt.date, end: dt.date, site: str | None = None) -> CountSet:
    """The count set from an unlocked store, for a role that may read every type it counts
    (NotPermitted otherwise: a pharmacy user cannot export contact counts)."""
    store.require(Action.READ, *COUNTED_TYPES, *SECTION_TYPES)
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
