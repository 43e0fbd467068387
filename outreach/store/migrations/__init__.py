"""Numbered, explicit schema migrations, frozen in time. The store file is copied aside before any
migration runs.

sqlite-utils' `alter=True` paths only catch the stdlib's exceptions, so every change is plain SQL.
To change the schema, add `mNNNN_<what>.py` with an `upgrade(conn)` and append it below; never edit
an earlier step (stores made by it exist: `tests/store/test_migrations.py` upgrades them).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from outreach.errors import StoreError
from outreach.store.connection import Connection
from outreach.store.migrations import (
    m0001_records,
    m0002_outbox,
    m0003_rollup,
    m0004_summaries,
    m0005_purge,
    m0006_overdose,
    m0007_service_counts,
    m0008_follow_ups,
)

log = logging.getLogger(__name__)


# One module per step, named in order, each frozen as written: SQL literals, or code that uses
# only what existed that day (never today's constants). A fresh store runs every step too.
MIGRATIONS: list[Callable[[Connection], None]] = [
    m0001_records.upgrade,
    m0002_outbox.upgrade,
    m0003_rollup.upgrade,
    m0004_summaries.upgrade,
    m0005_purge.upgrade,
    m0006_overdose.upgrade,
    m0007_service_counts.upgrade,
    m0008_follow_ups.upgrade,  # issue 15 item 2 (branch followups)
]
LATEST = len(MIGRATIONS)
# What the roll-up of the latest step that installs one counts: a type or field outside it is
# counted from the fact rows (exact, slower) until a migration rolls it up too.
ROLLUP = m0008_follow_ups.FIELDS


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
