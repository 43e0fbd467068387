"""Migration 2 (2026-11-23): sealed sync batches kept until the hub's receipt covers them
(resent byte for byte)."""

from __future__ import annotations

from outreach.store.connection import Connection
from outreach.store.migrations.script import run_script

SQL = """
CREATE TABLE outbox_batches (
  batch_id TEXT PRIMARY KEY,
  first_seq INTEGER NOT NULL UNIQUE,
  last_seq INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  envelope BLOB NOT NULL
) WITHOUT ROWID;
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
