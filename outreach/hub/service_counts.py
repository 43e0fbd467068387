"""The commissioner set for the whole service, from the hub's roll-up (issue 13).

The same builder as the laptop's (`reports.commissioner.build_count_set`) over another source:
the tables come from `hub_rollup` (kept exact by triggers, migration h0006), people reached
from `hub_people_months` when the period is whole months (else from the facts), cumulative
reach from `hub_reach`, and "high-risk people without a kit" from the kits each person holds at
the end of the period across every device: supplied on or before that day, not voided, not
expired, not reported used (a naloxone use that names the kit).

An area narrows what is counted by area (contacts, people reached through contacts, high-risk
people); kits and naloxone uses carry no area and are counted for the whole selection.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from outreach.records import decode_record
from outreach.records.follow_up import DEFAULT_WINDOW, FollowUpWindow
from outreach.records.naloxone_use import NaloxoneUse
from outreach.reports.commissioner import HIGH_RISK, Margins, RunQuery, build_count_set
from outreach.reports.countset import Cell, CountSet, Headline, Table
from outreach.reports.overdoses import prevention_counts
from outreach.store.counts import Layout, count_query

READ_USES_AT_ONCE = 500  # use records read per query when bringing kit_uses up to date


class HubSource:
    """`CountSource` over a hub connection (SQLite or PostgreSQL)."""

    def __init__(self, conn: sa.Connection, site: str | None, area: str | None) -> None:
        self.conn, self.site, self.area = conn, site, area
        self.postgres = conn.dialect.name == "postgresql"

    def _rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self.conn.execute(sa.text(sql), params).all()

    def facts(self) -> tuple[RunQuery, Layout]:
        return self._rows, "arrays" if self.postgres else "json"

    def _where(self, params: dict[str, Any], *, site: str, area: str | None) -> str:
        """Site and area conditions on the columns named, with their parameters."""
        sql = ""
        if self.site is not None:
            params["site"] = self.site
            sql += f" AND {site} = :site"
        if self.area is not None and area is not None:
            params["area"] = self.area
            sql += f" AND {area} = :area"
        return sql

    def margins(self, kind: str, fields: Sequence[str], start: dt.date, end: dt.date) -> Margins:
        if self.area is not None and kind == "contact":
            return self._area_margins(kind, fields, start, end)
        params: dict[str, Any] = {"kind": kind, "start": start.isoformat(), "end": end.isoformat()}
        names = []
        for index, field in enumerate(fields):
            params[f"f{index}"] = field
            names.append(f":f{index}")
        sql = (
            "SELECT r.field, r.value, sum(r.n) FROM hub_rollup r WHERE r.type = :kind "
            f"AND r.field IN ({', '.join(names)}) AND r.day BETWEEN :start AND :end"
            f"{self._where(params, site='r.site', area=None)} "
            "GROUP BY r.field, r.value HAVING sum(r.n) > 0"
        )
        margins: Margins = {field: Counter() for field in fields}
        for field, value, n in self._rows(sql, params):
            margins[field][value or None] += int(n)
        return margins

    def _area_margins(
        self, kind: str, fields: Sequence[str], start: dt.date, end: dt.date
    ) -> Margins:
        """One area's counts, from the facts (the roll-up has no area): a grouped count by
        site, area and each field, the other sites and areas left out."""
        layout: Layout = "arrays" if self.postgres else "json"
        margins: Margins = {field: Counter() for field in fields}
        for field in fields:
            by = ["site", "area"] if field == "site" else ["site", "area", field]
            sql, params, _ = count_query(by, start, end, kind, layout=layout)
            for row in self._rows(sql, params):
                if row[1] == self.area and self.site in (None, row[0]):
                    margins[field][row[by.index(field)]] += int(row[-1])
        return margins

    def people(self, start: dt.date, end: dt.date) -> tuple[Headline, ...]:
        new, ever = self._reach(start, end)
        return (
            Headline(
                "people_reached",
                "People reached (distinct client codes)",
                self._reached(start, end),
            ),
            Headline("reach_new", "People supplied a kit for the first time (whole service)", new),
            Headline(
                "reach_cumulative",
                "People ever supplied a kit, to period end (whole service)",
                ever,
            ),
        )

    def _reached(self, start: dt.date, end: dt.date) -> int:
        """Distinct client codes on contacts or kits in the period: from the month table for
        the whole service over whole months, else from the facts."""
        params: dict[str, Any] = {}
        whole_months = start.day == 1 and (end + dt.timedelta(days=1)).day == 1
        if whole_months and self.site is None and self.area is None:
            params.update(first=f"{start:%Y-%m}", last=f"{end:%Y-%m}")
            sql = (
                "SELECT count(DISTINCT p.client_code) FROM hub_people_months p "
                "WHERE p.month BETWEEN :first AND :last AND p.n > 0"
            )
        else:
            params.update(start=start.isoformat(), end=end.isoformat())
            sql = (
                "SELECT count(DISTINCT f.client_code) FROM facts f "
                "WHERE f.type IN ('contact', 'kit_issue') AND f.active = 1 "
                "AND f.day BETWEEN :start AND :end AND f.client_code IS NOT NULL"
                f"{self._where(params, site='f.site', area='f.area')}"
            )
        return int(self._rows(sql, params)[0][0])

    def _reach(self, start: dt.date, end: dt.date) -> tuple[int, int]:
        """(codes first supplied a kit in the period, codes supplied one by its end)."""
        row = self._rows(
            "SELECT sum(CASE WHEN first_day >= :start THEN 1 ELSE 0 END), count(*) "
            "FROM hub_reach WHERE kits > 0 AND first_day <= :end",
            {"start": start.isoformat(), "end": end.isoformat()},
        )[0]
        return int(row[0] or 0), int(row[1])

    def prevention(
        self, start: dt.date, end: dt.date
    ) -> tuple[Sequence[Headline], Sequence[Table]]:
        """Overdose events and referral outcomes, from the facts (not rolled up)."""
        layout: Layout = "arrays" if self.postgres else "json"
        return prevention_counts(self._rows, start, end, self.site, layout=layout)

    def high_risk(self, start: dt.date, end: dt.date) -> Table:
        """People counted once per area and risk level: by code, each code's kits looked at
        once; contacts without a code count one each unless a kit was supplied there."""
        read_kit_uses(self.conn)
        params: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat()}
        where = self._where(params, site="f.site", area="f.area")
        supplied = (
            "'naloxone_supplied' = ANY(f.interventions)"
            if self.postgres
            else "EXISTS (SELECT 1 FROM json_each(f.interventions) i "
            "WHERE i.value = 'naloxone_supplied')"
        )
        # Literal type and risk levels: the partial indexes (h0006) match only literals.
        levels = ", ".join(f"'{level}'" for level in HIGH_RISK)
        seen = (
            "FROM facts f WHERE f.type = 'contact' AND f.active = 1 "
            f"AND f.risk_level IN ({levels}) AND f.day BETWEEN :start AND :end{where}"
        )
        sql = (
            # MATERIALIZED: each read once (SQLite re-ran them per row of the outer query).
            "WITH people AS MATERIALIZED (SELECT DISTINCT f.area, f.risk_level, f.client_code "
            f"{seen} AND f.client_code IS NOT NULL), holding AS MATERIALIZED (SELECT "
            "c.client_code FROM (SELECT DISTINCT client_code FROM people) c "
            f"WHERE EXISTS ({_HELD})) "
            "SELECT p.area, p.risk_level, count(*) FROM people p "
            "WHERE p.client_code NOT IN (SELECT client_code FROM holding) "
            "GROUP BY p.area, p.risk_level UNION ALL "
            f"SELECT f.area, f.risk_level, count(*) {seen} AND f.client_code IS NULL "
            f"AND NOT {supplied} GROUP BY f.area, f.risk_level"
        )
        found: Counter[tuple[Cell, ...]] = Counter()
        for area, risk, n in self._rows(sql, params):
            found[(area, risk)] += int(n)
        rows = sorted(
            found.items(), key=lambda item: (-item[1], item[0][0] or "", item[0][1] or "")
        )
        return Table(
            "high_risk_without_kit_by_area",
            "High-risk people seen in the period holding no kit at its end (whole service), "
            "by area",
            ("area", "risk_level"),
            tuple(rows),
            ("", "risk_level"),
        )


# A kit the contact's person holds at the period's end.
_HELD = (
    "SELECT 1 FROM facts k WHERE k.type = 'kit_issue' AND k.client_code = c.client_code "
    "AND k.active = 1 AND k.day <= :end AND k.expiry >= :end AND NOT EXISTS ("
    "SELECT 1 FROM kit_uses u WHERE u.kit_id = k.id AND u.day <= :end AND EXISTS ("
    "SELECT 1 FROM facts uf WHERE uf.id = u.use_id AND uf.active = 1))"
)


def read_kit_uses(conn: sa.Connection) -> int:
    """Read the kit and day of the naloxone uses stored since the last count (their rows wait
    with no day); returns how many. Runs in the caller's transaction."""
    done = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT u.use_id, r.body FROM kit_uses u JOIN records r ON r.id = u.use_id "
                "WHERE u.day IS NULL LIMIT :n"
            ),
            {"n": READ_USES_AT_ONCE},
        ).all()
        if not rows:
            return done
        updates = []
        for use_id, body in rows:
            try:
                record = decode_record(bytes(body))
            except msgspec.DecodeError:  # stored records were checked: never expected
                record = None
            if isinstance(record, NaloxoneUse):
                updates.append(
                    {
                        "id": use_id,
                        "kit": record.kit_issue_id,
                        "day": record.occurred_on.isoformat(),
                    }
                )
            else:
                updates.append({"id": use_id, "kit": None, "day": "0000-00-00"})
        conn.execute(
            sa.text("UPDATE kit_uses SET kit_id = :kit, day = :day WHERE use_id = :id"), updates
        )
        done += len(updates)


def service_counts(
    engine: sa.Engine,
    start: dt.date,
    end: dt.date,
    site: str | None = None,
    area: str | None = None,
    window: FollowUpWindow = DEFAULT_WINDOW,
) -> CountSet:
    """The commissioner set of every device's records, exact (publish it with
    `CountSet.for_publication`). One transaction: the set reads one snapshot on PostgreSQL.
    `window` is the reference data's follow-up window (issue 15)."""
    with engine.begin() as conn:
        return build_count_set(HubSource(conn, site, area), start, end, site, area, window)
