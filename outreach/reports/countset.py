"""The commissioner's set of counts as plain data: headline numbers and tidy tables.

Exports (CSV, PDF) and the dashboard read this one shape. It holds codes and counts only, never a
client code, so nothing built from it can carry one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from outreach.reports.disclosure import EXACT, NHS_DIGITAL, Published, Rule, publish_value

Cell = str | None


@dataclasses.dataclass(frozen=True)
class Table:
    """One tidy count table: key columns (codes) then a `count` column."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[Cell, ...], Published], ...]
    vocab_lists: tuple[str, ...] = ()  # code list of each key column, for labels ("" = none)

    @property
    def header(self) -> tuple[str, ...]:
        return (*self.columns, "count")


@dataclasses.dataclass(frozen=True)
class Headline:
    name: str
    title: str
    value: Published


@dataclasses.dataclass(frozen=True)
class CountSet:
    start: dt.date
    end: dt.date
    site: str | None
    headlines: tuple[Headline, ...]
    tables: tuple[Table, ...]
    published: bool = False
    area: str | None = None  # contacts of one area only (kits and uses carry no area)
    disclosure: str = ""  # the rule applied, when published
    # Headlines and tables counted from the records still on this device, when a retention purge
    # removed some of the period's records (`note` says which days); every other count comes from
    # the roll-up the purge keeps (outreach.store.purge).
    not_exact: tuple[str, ...] = ()
    note: str = ""

    def headline(self, name: str) -> Published:
        for item in self.headlines:
            if item.name == name:
                return item.value
        raise KeyError(name)

    def table(self, name: str) -> Table:
        for item in self.tables:
            if item.name == name:
                return item
        raise KeyError(name)

    @property
    def status(self) -> str:
        """Which it is, said on every output: published under a rule, or exact."""
        return self.disclosure if self.published else EXACT

    def for_publication(self, rule: Rule = NHS_DIGITAL) -> CountSet:
        """Every cell and headline under disclosure control; totals rounded on their own
        (each headline is a true total put through the rule by itself)."""
        if self.published:
            return self
        return dataclasses.replace(
            self,
            published=True,
            disclosure=rule.note,
            headlines=tuple(
                dataclasses.replace(h, value=_publish(h.value, rule)) for h in self.headlines
            ),
            tables=tuple(
                dataclasses.replace(t, rows=tuple((k, _publish(n, rule)) for k, n in t.rows))
                for t in self.tables
            ),
        )

    def as_wire(self) -> dict[str, Any]:
        """Plain JSON data (the hub's answer; `from_wire` reads it back)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "site": self.site,
            "area": self.area,
            "published": self.published,
            "status": self.status,
            "headlines": [[h.name, h.title, h.value] for h in self.headlines],
            "tables": [
                {
                    "name": t.name,
                    "title": t.title,
                    "columns": list(t.columns),
                    "vocab_lists": list(t.vocab_lists),
                    "rows": [[*keys, n] for keys, n in t.rows],
                }
                for t in self.tables
            ],
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CountSet:
        """The set `as_wire` gave (KeyError, TypeError or ValueError if it is not one)."""
        tables = tuple(
            Table(
                t["name"],
                t["title"],
                tuple(t["columns"]),
                tuple((tuple(row[:-1]), _cell(row[-1])) for row in t["rows"]),
                tuple(t["vocab_lists"]),
            )
            for t in data["tables"]
        )
        published = bool(data["published"])
        return cls(
            dt.date.fromisoformat(data["start"]),
            dt.date.fromisoformat(data["end"]),
            data["site"],
            tuple(Headline(str(n), str(t), _cell(v)) for n, t, v in data["headlines"]),
            tables,
            published,
            data.get("area"),
            str(data["status"]) if published else "",
        )


def _cell(value: Any) -> Published:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"not a count: {value!r}")
    return value


def _publish(value: Published, rule: Rule) -> Published:
    return value if isinstance(value, str) else publish_value(value, rule)
