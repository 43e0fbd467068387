"""Migration 8 (2026-12-02): the coordinator's last fetched copies of the whole service's counts.

One row per request (the signed path and query: period, site, area, exact or published), with
when it was fetched; the dashboard shows a copy, dated, when the hub cannot be reached. Counts
only: the hub's answer holds no client code. At most a few dozen rows (`service_copy.KEEP`).
"""

from __future__ import annotations

from outreach.store.connection import Connection
from outreach.store.migrations.script import run_script

SQL = """
CREATE TABLE service_counts (
  request TEXT PRIMARY KEY,
  fetched_at TEXT NOT NULL,
  answer BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX service_counts_by_time ON service_counts (fetched_at);
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
