"""Numbered, explicit schema migrations. The store file is copied aside before any migration runs.

sqlite-utils' `alter=True` paths only catch the stdlib's exceptions, so every change is plain SQL.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from outreach.errors import StoreError
from outreach.store import rollup
from outreach.store.connection import Connection
from outreach.store.fact_table import schema_sql

log = logging.getLogger(__name__)


def _v1(conn: Connection) -> None:
    _run_script(
        conn,
        f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Every record this device made, whole and immutable; device_seq is gap-free.
CREATE TABLE records (
  device_seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  body BLOB NOT NULL
);
{schema_sql()}
-- Ids taken out of the counts by a void or a correction, and by which record.
CREATE TABLE retired (id TEXT PRIMARY KEY, by_id TEXT NOT NULL, reason TEXT) WITHOUT ROWID;
-- Sync receipts from the hub, newest last.
CREATE TABLE receipts (
  batch_id TEXT PRIMARY KEY,
  received_at TEXT NOT NULL,
  acked_through INTEGER NOT NULL,
  accepted INTEGER NOT NULL,
  quarantined INTEGER NOT NULL,
  body BLOB NOT NULL
) WITHOUT ROWID;
""",
    )


def _v2(conn: Connection) -> None:
    """Sync: sealed batches kept until the hub's receipt covers them (resent byte for byte)."""
    _run_script(
        conn,
        """
CREATE TABLE outbox_batches (
  batch_id TEXT PRIMARY KEY,
  first_seq INTEGER NOT NULL UNIQUE,
  last_seq INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  envelope BLOB NOT NULL
) WITHOUT ROWID;
""",
    )


def _v3(conn: Connection) -> None:
    """Counts over long periods: the daily roll-up, and covering indexes for the two counts that
    must see people (distinct client codes; high risk without a kit), so neither reads rows."""
    rollup.install(conn)
    _run_script(
        conn,
        """
CREATE INDEX fact_data_people ON fact_data (type, day, client_code, site)
  WHERE client_code IS NOT NULL AND active = 1;
CREATE INDEX fact_data_risk ON fact_data (type, risk_level, day, area, client_code, site)
  WHERE risk_level IS NOT NULL AND active = 1;
""",
    )


def _run_script(conn: Connection, script: str) -> None:
    """Statement by statement: `executescript` would commit the migration's transaction early."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3]
LATEST = len(MIGRATIONS)


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection, path: Path | None) -> int:
    """Bring the schema to LATEST, one numbered step per transaction; returns the new version."""
    current = schema_version(conn)
    if current > LATEST:
        raise StoreError(
            f"this store was written by a newer version of Outreach (schema {current})"
        )
    if current == LATEST:
        return current
    if path is not None and not os.access(path.parent, os.W_OK):
        raise StoreError(
            f"this store needs an upgrade (schema {current} to {LATEST}), which needs a "
            "writable data directory"
        )
    if path is not None and current > 0:
        backup = path.with_name(f"{path.name}.before-v{LATEST}")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(path, backup)
        log.info("copied store to %s before migrating", backup.name)
    for version in range(current + 1, LATEST + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version - 1](conn)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        log.info("store migrated to schema %d", version)
    return LATEST
