"""Named, recorded hub migrations, frozen in time, for SQLite and PostgreSQL.

Each step is a module `hNNNN_<what>.py` with its date and an `upgrade(conn)` of literal SQL
(per dialect where they differ), never built from today's constants: hubs made by it exist.
A fresh hub runs every step, as an upgraded one does; `hub_migrations` records which ran and
when, so opening a hub that is up to date reads one small table and changes nothing. To change
the schema, add a step and append it to `STEPS`; never edit one that has shipped
(`tests/hub/test_migrations.py` upgrades hubs made by earlier code, kept as fixtures).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import NamedTuple

import sqlalchemy as sa

from outreach.hub.errors import HubError
from outreach.hub.migrations import (
    h0001_tables,
    h0002_older_hubs,
    h0003_pg_functions,
    h0004_summaries,
    h0006_coordinator,
    h0007_overdose,
)

log = logging.getLogger(__name__)


class Step(NamedTuple):
    name: str
    written: str  # the day the step was written: what it may use existed then
    upgrade: Callable[[sa.Connection], None]


STEPS = [
    Step("h0001_tables", "2026-12-01", h0001_tables.upgrade),
    Step("h0002_older_hubs", "2026-12-01", h0002_older_hubs.upgrade),
    Step("h0003_pg_functions", "2026-12-01", h0003_pg_functions.upgrade),
    Step("h0004_summaries", "2026-12-02", h0004_summaries.upgrade),
    Step("h0006_coordinator", "2026-12-02", h0006_coordinator.upgrade),
    Step("h0007_overdose", "2026-12-02", h0007_overdose.upgrade),  # issue 15; renumber at merge
]
LATEST = STEPS[-1].name

# The ledger itself, the same on both (text COLLATE "C" on PostgreSQL, as every hub table).
_LEDGER = (
    "CREATE TABLE IF NOT EXISTS hub_migrations (name TEXT{c} NOT NULL PRIMARY KEY, "
    "written TEXT{c} NOT NULL, applied_at TEXT{c} NOT NULL)"
)
# One migrating process at a time on PostgreSQL (two hubs starting together). On SQLite two
# may run a step together: the steps are idempotent and the ledger row goes in once.
_LOCK = "SELECT pg_advisory_xact_lock(7233188313529300003)"


def applied(conn: sa.Connection) -> list[str]:
    """The steps this hub has run, in order (none before the ledger existed)."""
    if not sa.inspect(conn).has_table("hub_migrations"):
        return []
    rows = conn.exec_driver_sql("SELECT name FROM hub_migrations ORDER BY name")
    return [row[0] for row in rows]


def migrate(engine: sa.Engine) -> list[str]:
    """Run the steps this hub has not run, one transaction each; returns their names.

    Refuses a hub that ran a step this code does not know (a newer release wrote it)."""
    with engine.connect() as conn:
        done = applied(conn)
    unknown = sorted(set(done) - {step.name for step in STEPS})
    if unknown:
        raise HubError(
            f"this hub database was upgraded by a newer version of the hub ({unknown[-1]})"
        )
    ran: list[str] = []
    for step in STEPS:
        if step.name in done:
            continue
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(_LOCK)
            conn.exec_driver_sql(_LEDGER.format(c=_COLLATE[conn.dialect.name]))
            if step.name in applied(conn):  # another process ran it meanwhile
                continue
            step.upgrade(conn)
            conn.exec_driver_sql(
                _RECORD[conn.dialect.name],
                (step.name, step.written, _now()),
            )
        log.info("hub migrated: %s", step.name)
        ran.append(step.name)
    return ran


_COLLATE = {"sqlite": "", "postgresql": ' COLLATE "C"'}
# Idempotent steps and ON CONFLICT: two SQLite hubs starting together may both run a step.
_RECORD = {
    "sqlite": "INSERT INTO hub_migrations (name, written, applied_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING",
    "postgresql": "INSERT INTO hub_migrations (name, written, applied_at) VALUES (%s, %s, %s) "
    "ON CONFLICT DO NOTHING",
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
