"""2026-12-01: the hub's tables as the first recorded migration found them, literally.

A fresh hub creates them here; a hub made before recorded migrations has them (IF NOT EXISTS)
and `h0002_older_hubs` brings an older layout up to this one. Text on PostgreSQL is
COLLATE "C" (ids and codes are ASCII; the default collation's strcoll cost a third of the
server's CPU per batch); list fields are JSON text on SQLite, arrays on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

SQLITE = """
CREATE TABLE IF NOT EXISTS hub_meta (
    "key" TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY ("key")
);

CREATE TABLE IF NOT EXISTS enrol_tokens (
    token_hash TEXT NOT NULL,
    label TEXT DEFAULT '' NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    device_id TEXT,
    PRIMARY KEY (token_hash)
);

CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT NOT NULL,
    public_key BLOB NOT NULL,
    label TEXT DEFAULT '' NOT NULL,
    role TEXT DEFAULT 'worker' NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT,
    acked_through BIGINT DEFAULT '0' NOT NULL,
    quarantine_bytes BIGINT DEFAULT '0' NOT NULL,
    PRIMARY KEY (device_id)
);

CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    via TEXT NOT NULL,
    envelope BLOB NOT NULL,
    receipt BLOB NOT NULL,
    PRIMARY KEY (batch_id)
);

CREATE INDEX IF NOT EXISTS ix_batches_device_id ON batches (device_id);

CREATE INDEX IF NOT EXISTS batches_device_first_seq ON batches (device_id, first_seq);

CREATE TABLE IF NOT EXISTS records (
    id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT records_device_seq UNIQUE (device_id, device_seq)
);

CREATE TABLE IF NOT EXISTS quarantine (
    batch_id TEXT NOT NULL,
    device_seq BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    error TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (batch_id, device_seq)
);

CREATE INDEX IF NOT EXISTS quarantine_device_seq ON quarantine (device_id, device_seq);

CREATE TABLE IF NOT EXISTS retired (
    id TEXT NOT NULL,
    by_id TEXT NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS alerts (
    alert INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    device_id TEXT,
    detail TEXT NOT NULL,
    PRIMARY KEY (alert)
);

CREATE TABLE IF NOT EXISTS pending_facts (
    id TEXT NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS facts (
    fact BIGINT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    active INTEGER NOT NULL,
    day TEXT,
    week TEXT,
    month TEXT,
    year TEXT,
    client_code TEXT,
    serial TEXT,
    site TEXT,
    area TEXT,
    setting TEXT,
    age_band TEXT,
    gender TEXT,
    in_treatment TEXT,
    injecting TEXT,
    product TEXT,
    recipient TEXT,
    supply TEXT,
    resupply_reason TEXT,
    training TEXT,
    location_type TEXT,
    administered_by TEXT,
    ambulance_called TEXT,
    stayed_with_person TEXT,
    outcome TEXT,
    movement TEXT,
    reason TEXT,
    batch TEXT,
    expiry TEXT,
    risk_level TEXT,
    quantity BIGINT,
    doses BIGINT,
    substances TEXT,
    risk_factors TEXT,
    interventions TEXT,
    referrals TEXT,
    PRIMARY KEY (fact),
    UNIQUE (id)
);

CREATE INDEX IF NOT EXISTS facts_type_day ON facts (type, day);

CREATE TABLE IF NOT EXISTS fact_items (
    fact BIGINT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS fact_items_fact ON fact_items (fact, field);
"""

POSTGRESQL = """
CREATE TABLE IF NOT EXISTS alerts (
    alert SERIAL NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C",
    detail TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (alert)
);

CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    via TEXT COLLATE "C" NOT NULL,
    envelope BYTEA NOT NULL,
    receipt BYTEA NOT NULL,
    PRIMARY KEY (batch_id)
);

CREATE INDEX IF NOT EXISTS batches_device_first_seq ON batches (device_id, first_seq);

CREATE INDEX IF NOT EXISTS ix_batches_device_id ON batches (device_id);

CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT COLLATE "C" NOT NULL,
    public_key BYTEA NOT NULL,
    label TEXT COLLATE "C" DEFAULT '' NOT NULL,
    role TEXT COLLATE "C" DEFAULT 'worker' NOT NULL,
    enrolled_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C",
    acked_through BIGINT DEFAULT '0' NOT NULL,
    quarantine_bytes BIGINT DEFAULT '0' NOT NULL,
    PRIMARY KEY (device_id)
);

CREATE TABLE IF NOT EXISTS enrol_tokens (
    token_hash TEXT COLLATE "C" NOT NULL,
    label TEXT COLLATE "C" DEFAULT '' NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C",
    PRIMARY KEY (token_hash)
);

CREATE TABLE IF NOT EXISTS fact_items (
    fact BIGINT NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL
);

CREATE INDEX IF NOT EXISTS fact_items_fact ON fact_items (fact, field);

CREATE TABLE IF NOT EXISTS facts (
    fact BIGINT NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    active INTEGER NOT NULL,
    day TEXT COLLATE "C",
    week TEXT COLLATE "C",
    month TEXT COLLATE "C",
    year TEXT COLLATE "C",
    client_code TEXT COLLATE "C",
    serial TEXT COLLATE "C",
    site TEXT COLLATE "C",
    area TEXT COLLATE "C",
    setting TEXT COLLATE "C",
    age_band TEXT COLLATE "C",
    gender TEXT COLLATE "C",
    in_treatment TEXT COLLATE "C",
    injecting TEXT COLLATE "C",
    product TEXT COLLATE "C",
    recipient TEXT COLLATE "C",
    supply TEXT COLLATE "C",
    resupply_reason TEXT COLLATE "C",
    training TEXT COLLATE "C",
    location_type TEXT COLLATE "C",
    administered_by TEXT COLLATE "C",
    ambulance_called TEXT COLLATE "C",
    stayed_with_person TEXT COLLATE "C",
    outcome TEXT COLLATE "C",
    movement TEXT COLLATE "C",
    reason TEXT COLLATE "C",
    batch TEXT COLLATE "C",
    expiry TEXT COLLATE "C",
    risk_level TEXT COLLATE "C",
    quantity BIGINT,
    doses BIGINT,
    substances TEXT[] COLLATE "C",
    risk_factors TEXT[] COLLATE "C",
    interventions TEXT[] COLLATE "C",
    referrals TEXT[] COLLATE "C",
    PRIMARY KEY (fact),
    UNIQUE (id)
);

CREATE INDEX IF NOT EXISTS facts_type_day ON facts (type, day);

CREATE TABLE IF NOT EXISTS hub_meta (
    key TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (key)
);

CREATE TABLE IF NOT EXISTS pending_facts (
    id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS quarantine (
    batch_id TEXT COLLATE "C" NOT NULL,
    device_seq BIGINT NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    error TEXT COLLATE "C" NOT NULL,
    body BYTEA NOT NULL,
    PRIMARY KEY (batch_id, device_seq)
);

CREATE INDEX IF NOT EXISTS quarantine_device_seq ON quarantine (device_id, device_seq);

CREATE TABLE IF NOT EXISTS records (
    id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    device_seq BIGINT NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    occurred_at TEXT COLLATE "C" NOT NULL,
    batch_id TEXT COLLATE "C" NOT NULL,
    body BYTEA NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT records_device_seq UNIQUE (device_id, device_seq)
);

CREATE TABLE IF NOT EXISTS retired (
    id TEXT COLLATE "C" NOT NULL,
    by_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (id)
);
"""


def upgrade(conn: sa.Connection) -> None:
    script = POSTGRESQL if conn.dialect.name == "postgresql" else SQLITE
    for statement in script.split(";\n"):
        if statement.strip():
            conn.exec_driver_sql(statement)
