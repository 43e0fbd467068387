"""The laptop's counting tables: the facts projection stored dictionary-coded.

Every code, period key, client code and serial is stored as a small integer from `codes`, and the
day as a date ordinal. Rows shrink to ~40 bytes, so a grouped count over a million records touches
about a quarter of the pages a text table would, and page decryption stops dominating the time.
The `facts` and `fact_items` views (migration 1) show the same rows with text values for ad hoc
queries. The tables are made by the migrations; this module writes their rows.
"""

from __future__ import annotations

import datetime as dt

from outreach.records import Record, facts
from outreach.store.connection import Connection

# Columns holding a code id, in table order; `day` is an ordinal, quantity and doses are numbers.
CODED_COLUMNS: tuple[str, ...] = (
    "type",
    "week",
    "month",
    "year",
    "client_code",
    "serial",
    *facts.FACT_COLUMNS,
)
# date(ordinal + this) in SQLite turns a Python date ordinal back into an ISO date.
ORDINAL_TO_JULIAN = 1721424.5


_FACT_TABLE_COLUMNS = ("seq", "active", "day", *CODED_COLUMNS, *facts.NUMERIC_COLUMNS)
_INSERT_FACT = (
    f"INSERT INTO fact_data ({', '.join(_FACT_TABLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_FACT_TABLE_COLUMNS))})"
)


class FactWriter:
    """Writes facts rows for one connection, caching code ids.

    Call `forget()` after a rollback: ids handed out inside it no longer exist.
    """

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def forget(self) -> None:
        self._ids.clear()

    def code_id(self, conn: Connection, value: str) -> int:
        found = self._ids.get(value)
        if found is None:
            conn.execute("INSERT OR IGNORE INTO codes (value) VALUES (?)", (value,))
            found = int(
                conn.execute("SELECT id FROM codes WHERE value = ?", (value,)).fetchone()[0]
            )
            self._ids[value] = found
        return found

    def lookup(self, conn: Connection, value: str) -> int | None:
        """The id of a code already stored, without adding it."""
        if value in self._ids:
            return self._ids[value]
        row = conn.execute("SELECT id FROM codes WHERE value = ?", (value,)).fetchone()
        return int(row[0]) if row else None

    def write(self, conn: Connection, seq: int, record: Record, active: bool) -> None:
        fact = facts.project(record)
        if fact is None:
            return
        row = dict(fact.row, serial=getattr(record, "serial", None))
        values: list[object] = [seq, int(active), dt.date.fromisoformat(row["day"]).toordinal()]
        for name in CODED_COLUMNS:
            value = row.get(name)
            values.append(None if value is None else self.code_id(conn, str(value)))
        values.extend(row.get(name) for name in facts.NUMERIC_COLUMNS)
        conn.execute(_INSERT_FACT, values)
        if fact.items:
            conn.executemany(
                "INSERT OR IGNORE INTO fact_item_data (seq, field, value) VALUES (?, ?, ?)",
                [
                    (seq, self.code_id(conn, field), self.code_id(conn, value))
                    for field, value in fact.items
                ],
            )
