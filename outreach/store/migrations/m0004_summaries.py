"""Migration 4 (2026-12-02): the service-wide client summaries a device pulls from its hub.

One row per pseudonymous client code: the hub's `change_seq` for it (a page never writes a row
older than the one held), the day the code was last active (rows older than the hub's scope are
dropped when a pull completes: one scan, cheaper than an index every row would pay) and the
summary as msgpack (`outreach.records.client_summary`). The
primary key is the client code, so the client panel's look-up and History's prefix search read
one index; the cursor and the time of the last pull are in `meta` (`outreach.store.summaries`).
"""

from __future__ import annotations

from outreach.store.connection import Connection
from outreach.store.migrations.script import run_script

SQL = """
CREATE TABLE summaries (
  client_code TEXT PRIMARY KEY,
  change_seq INTEGER NOT NULL,
  last_active TEXT NOT NULL,
  body BLOB NOT NULL
) WITHOUT ROWID;
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
