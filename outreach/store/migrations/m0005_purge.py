"""Migration 5 (2026-12-02): what a retention purge keeps of the records it deletes.

Purging synced records (outreach.store.purge) must change neither stock on hand nor past counts:

* `stock_opening`: per site, product, batch and expiry (code ids, like `fact_data`), the signed
  sum of the active stock movements purged so far. Stock on hand is this plus the movements still
  on the device. A line stays (even at 0) once seen, so its site still keeps a ledger.
* `purged_serials`: pack serials handed out by purged active kit issues, and the day, so that a
  pack scanned again is still recognised.
* `purges`: one row per purge (through which seq, when, the days its counted records covered and
  how many records), so that a count of people over a purged period can say it is not exact.

The daily roll-up (`fact_rollup`) needs no new table: the purge restores the cells its delete
touched. Literal SQL, frozen as written.
"""

from __future__ import annotations

from outreach.store.connection import Connection
from outreach.store.migrations.script import run_script

SQL = """
CREATE TABLE stock_opening (
  site INTEGER NOT NULL,
  product INTEGER NOT NULL,
  batch INTEGER NOT NULL,
  expiry INTEGER NOT NULL,
  quantity INTEGER NOT NULL,
  PRIMARY KEY (site, product, batch, expiry)
) WITHOUT ROWID;
CREATE TABLE purged_serials (
  serial INTEGER PRIMARY KEY,
  day INTEGER NOT NULL
);
CREATE TABLE purges (
  through_seq INTEGER PRIMARY KEY,
  purged_at TEXT NOT NULL,
  first_day INTEGER,
  last_day INTEGER,
  records INTEGER NOT NULL
);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
