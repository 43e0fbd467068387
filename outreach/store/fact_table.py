"""The laptop's counting tables: the facts projection stored dictionary-coded.

Every code, period key, client code and serial is stored as a small integer from `codes`, and the
day as a date ordinal. Rows shrink to ~40 bytes, so a grouped count over a million records touches
about a quarter of the pages a text table would, and page decryption stops dominating the time.
The `facts` and `fact_items` views show the same rows with text values for ad hoc queries.
"""

from __future__ import annotations

import datetime as dt

from outreach.domain import facts
from outreach.domain.records import Record
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


def schema_sql() -> str:
    """DDL for migration 1: tables, indexes and the text views."""
    coded = ",\n  ".join(f"{name} INTEGER" for name in CODED_COLUMNS)
    numeric = ",\n  ".join(f"{name} INTEGER" for name in facts.NUMERIC_COLUMNS)
    joins = "\n".join(
        f"LEFT JOIN codes c_{name} ON c_{name}.id = f.{name}" for name in CODED_COLUMNS
    )
    view_columns = ",\n  ".join(
        [
            "f.seq AS fact",
            "r.id AS id",
            "f.active AS active",
            f"date(f.day + {ORDINAL_TO_JULIAN}) AS day",
            *(f"c_{name}.value AS {name}" for name in CODED_COLUMNS),
            *(f"f.{name} AS {name}" for name in facts.NUMERIC_COLUMNS),
        ]
    )
    return f"""
CREATE TABLE codes (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
-- One row per countable record (seq = records.device_seq); active = 0 once voided or superseded.
CREATE TABLE fact_data (
  seq INTEGER PRIMARY KEY REFERENCES records (device_seq) ON DELETE CASCADE,
  active INTEGER NOT NULL DEFAULT 1,
  day INTEGER NOT NULL,
  {coded},
  {numeric}
);
CREATE INDEX fact_data_type_day ON fact_data (type, day);
CREATE INDEX fact_data_client ON fact_data (client_code) WHERE client_code IS NOT NULL;
CREATE INDEX fact_data_serial ON fact_data (serial) WHERE serial IS NOT NULL;
CREATE TABLE fact_item_data (
  seq INTEGER NOT NULL REFERENCES fact_data (seq) ON DELETE CASCADE,
  field INTEGER NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (seq, field, value)
) WITHOUT ROWID;
CREATE INDEX fact_item_data_field ON fact_item_data (field, value);
CREATE VIEW facts AS SELECT
  {view_columns}
FROM fact_data f JOIN records r ON r.device_seq = f.seq
{joins};
CREATE VIEW fact_items AS SELECT i.seq AS fact, cf.value AS field, cv.value AS value
FROM fact_item_data i JOIN codes cf ON cf.id = i.field JOIN codes cv ON cv.id = i.value;
"""


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
