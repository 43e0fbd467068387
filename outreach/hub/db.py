"""The hub's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

These describe the tables to the hub's queries; the tables are made and changed only by the
recorded migrations (`outreach/hub/migrations/`), and a test checks the two agree.

`facts` holds a row of plain text per counted record, for `outreach.store.counts.count_query`,
so the hub and the laptop count with the same code. A list field (substances, risk factors…)
is a column of `facts` too: JSON text on SQLite (count layout "json"), an array on PostgreSQL
(layout "arrays"). An item row per value in `fact_items`, with its index entry, had been 40% of
the database's work per batch; that table is now only where an older hub's rows waited to be
moved (migration h0002).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql

from outreach.hub import migrations
from outreach.records.columns import ADDED_FACT_COLUMNS
from outreach.records.facts import FACT_COLUMNS, ITEM_FIELDS, NUMERIC_COLUMNS, PERIOD_FIELDS

log = logging.getLogger(__name__)
metadata = sa.MetaData()

# Text compared byte by byte on PostgreSQL. A database's default collation (C.UTF-8,
# en_US.UTF-8) compares through strcoll: ids and codes are ASCII and sort the same either way,
# and the indexes on record ids took a third of the server's CPU per batch.
Text = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
# A list field's values: a JSON array on SQLite, an array on PostgreSQL; NULL when empty.
Values = sa.Text().with_variant(postgresql.ARRAY(sa.Text(collation="C")), "postgresql")

hub_meta = sa.Table(
    "hub_meta",
    metadata,
    sa.Column("key", Text, primary_key=True),
    sa.Column("value", Text, nullable=False),
)
enrol_tokens = sa.Table(
    "enrol_tokens",
    metadata,
    sa.Column("token_hash", Text, primary_key=True),
    sa.Column("label", Text, nullable=False, server_default=""),
    sa.Column("created_at", Text, nullable=False),
    sa.Column("expires_at", Text, nullable=False),
    sa.Column("device_id", Text),  # set when used: a token enrols one device only
    sa.Column("role", Text, nullable=False, server_default="worker"),  # set by the operator
)
devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", Text, primary_key=True),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("label", Text, nullable=False, server_default=""),
    sa.Column("role", Text, nullable=False, server_default="worker"),
    sa.Column("enrolled_at", Text, nullable=False),
    sa.Column("revoked_at", Text),
    sa.Column("acked_through", sa.BigInteger, nullable=False, server_default="0"),
    # Bytes of this device's rows in quarantine (body + error), against QUARANTINE_BYTES.
    sa.Column("quarantine_bytes", sa.BigInteger, nullable=False, server_default="0"),
)
batches = sa.Table(
    "batches",
    metadata,
    sa.Column("batch_id", Text, primary_key=True),
    sa.Column("device_id", Text, nullable=False, index=True),
    sa.Column("first_seq", sa.BigInteger, nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("sha256", Text, nullable=False),
    sa.Column("received_at", Text, nullable=False),
    sa.Column("via", Text, nullable=False),  # https | file
    sa.Column("envelope", sa.LargeBinary, nullable=False),  # every raw envelope is kept
    sa.Column("receipt", sa.LargeBinary, nullable=False),
    # The watermark looks up a device's batches that start just past its acked seq (ingest.py).
    sa.Index("batches_device_first_seq", "device_id", "first_seq"),
)
records = sa.Table(
    "records",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("device_id", Text, nullable=False),
    sa.Column("device_seq", sa.BigInteger, nullable=False),
    sa.Column("type", Text, nullable=False),
    sa.Column("occurred_at", Text, nullable=False),
    sa.Column("batch_id", Text, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("device_id", "device_seq", name="records_device_seq"),
)
quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("batch_id", Text, primary_key=True),
    sa.Column("device_seq", sa.BigInteger, primary_key=True),
    sa.Column("device_id", Text, nullable=False),
    sa.Column("error", Text, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    # A later record at a quarantined seq must be the same bytes (ingest.py).
    sa.Index("quarantine_device_seq", "device_id", "device_seq"),
)
retired = sa.Table(
    "retired",
    metadata,
    sa.Column("id", Text, primary_key=True),
    sa.Column("by_id", Text, nullable=False),
)
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", Text, nullable=False),
    sa.Column("kind", Text, nullable=False),
    sa.Column("device_id", Text),
    sa.Column("detail", Text, nullable=False),
)
# Records an older hub stored but had not yet projected; projected when it is upgraded (see
# `Hub.upgrade`). New batches are projected in the transaction that stores them.
pending_facts = sa.Table(
    "pending_facts",
    metadata,
    sa.Column("id", Text, primary_key=True),
)
facts = sa.Table(
    "facts",
    metadata,
    # From the record id (`fact_key`), so rows and items go in without a RETURNING trip.
    sa.Column("fact", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("id", Text, nullable=False, unique=True),
    sa.Column("type", Text, nullable=False),
    sa.Column("active", sa.Integer, nullable=False),
    *(sa.Column(name, Text) for name in PERIOD_FIELDS),
    sa.Column("client_code", Text),
    sa.Column("serial", Text),
    *(sa.Column(name, Text) for name in FACT_COLUMNS if name not in ADDED_FACT_COLUMNS),
    *(sa.Column(name, sa.BigInteger) for name in NUMERIC_COLUMNS),
    *(sa.Column(name, Values) for name in ITEM_FIELDS),
    *(sa.Column(name, Text) for name in ADDED_FACT_COLUMNS),  # h0007, after the others
    sa.Index("facts_type_day", "type", "day"),
)
# Who did what as a coordinator (h0006), and the service-wide roll-up tables it reads, kept by
# triggers on facts (see outreach/hub/migrations/h0006_coordinator.py).
coordinator_audit = sa.Table(
    "coordinator_audit",
    metadata,
    sa.Column("entry", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", Text, nullable=False),
    sa.Column("device_id", Text, nullable=False),
    sa.Column("action", Text, nullable=False),
    sa.Column("detail", Text, nullable=False),
)
kit_uses = sa.Table(
    "kit_uses",
    metadata,
    sa.Column("use_id", Text, primary_key=True),
    sa.Column("kit_id", Text),
    sa.Column("day", Text),  # NULL until the use's record is read (service_counts)
)
fact_items = sa.Table(  # older hubs' list values, moved into facts by h0002 (see above)
    "fact_items",
    metadata,
    # No foreign key to facts: both are written by the one transaction that projects a record,
    # and PostgreSQL checked it with a query per item (most of its CPU per batch).
    sa.Column("fact", sa.BigInteger, nullable=False),
    sa.Column("field", Text, nullable=False),
    sa.Column("value", Text, nullable=False),
    sa.Index("fact_items_fact", "fact", "field"),
)

# Client summaries (issue 12; migration h0004, `outreach/hub/summaries.py`).
client_summaries = sa.Table(
    "client_summaries",
    metadata,
    sa.Column("client_code", Text, primary_key=True),
    sa.Column("change_seq", sa.BigInteger, nullable=False),
    sa.Column("last_active", Text, nullable=False),
    sa.Column("body", sa.LargeBinary),  # NULL: nothing about the code counts any more
    sa.Index("client_summaries_change_seq", "change_seq", unique=True),
)
summary_links = sa.Table(
    "summary_links",
    metadata,
    sa.Column("record_id", Text, primary_key=True),
    sa.Column("client_code", Text, primary_key=True),
    sa.Index("summary_links_code", "client_code", "record_id"),
)
summary_counter = sa.Table(
    "summary_counter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
)


def fact_key(record_id: str) -> int:
    """The key a record's facts row asks for: the first 63 bits of its id, no sequence to share.

    Record ids are UUIDv7, so these keys follow the time the records were made and new rows
    land at the end of the facts and fact_items indexes. (A hash of the id scattered them: each
    batch dirtied a page per row, ~150 pages, and ingest slowed as the tables grew.) Two ids can
    share their first 63 bits (same millisecond and counter on two devices); the projection
    then gives the later one the next free key (`projection.free_keys`).
    """
    return int(record_id[:8] + record_id[9:13] + record_id[14:18], 16) & ((1 << 63) - 1)


def sqlalchemy_url(url: str) -> str:
    """Accept `postgresql://` and use the psycopg 3 driver for it."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_private(path: Path) -> None:
    """The SQLite hub file and its folder readable by the hub's user only (0600, 0700): the
    file is made empty with those rights before SQLite opens it (its -wal and -shm files take
    the file's rights), and an existing one is tightened. A folder is tightened only if the
    hub's user owns it."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_uid == os.getuid():
        folder.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if name.exists():
            name.chmod(0o600)


def make_engine(url: str) -> sa.Engine:
    url = sqlalchemy_url(url)
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            make_private(Path(database))
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: object, _record: object) -> None:
            cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = sa.create_engine(url, pool_size=10, max_overflow=10)
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """Check a pooled connection before use only if it sat idle: a server restart or a dropped
    link shows up there, and under load (pool_pre_ping) the ping was a round trip per batch.
    One that fails is replaced (DisconnectionError makes the pool connect afresh)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: object, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: object, record: Any, _proxy: object) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - any failure means a fresh connection
            raise sa.exc.DisconnectionError(str(exc)) from exc


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_schema(engine: sa.Engine) -> list[str]:
    """Create the tables, or bring an older hub's up to date: the recorded migrations this hub
    has not run (`outreach.hub.migrations`); returns their names. Nothing runs on a hub that
    is up to date, so any command may open a hub while it serves."""
    ran = migrations.migrate(engine)
    log.info("hub schema ready on %s (%d steps run)", engine.dialect.name, len(ran))
    return ran
