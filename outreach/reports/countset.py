"""The commissioner's set of counts as plain data: headline numbers and tidy tables.

Exports (CSV, PDF) and the dashboard read this one shape. It holds codes and counts only, never a
client code, so nothing built from it can carry one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from outreach.reports.disclosure import Published, publish_value

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

    def for_publication(self) -> CountSet:
        """Every cell and headline under disclosure control; totals rounded on their own."""
        if self.published:
            return self
        return dataclasses.replace(
            self,
            published=True,
            headlines=tuple(
                dataclasses.replace(h, value=_publish(h.value)) for h in self.headlines
            ),
            tables=tuple(
                dataclasses.replace(t, rows=tuple((k, _publish(n)) for k, n in t.rows))
                for t in self.tables
            ),
        )


def _publish(value: Published) -> Published:
    return value if isinstance(value, str) else publish_value(value)
