"""2026-12-02: client summaries (issue 12), kept in the transaction that stores a batch.

* `client_summaries`: one row per client code, its `ClientSummary` as msgpack (`body`; NULL once
  nothing about the code counts any more, kept so devices learn to drop it), the day it was
  last active (the pull's scope reads it) and `change_seq`, the cursor devices pull after
  (unique, indexed). A blob, not columns: the summary is computed in Python by the one rule the
  device shares (`outreach.records.summarise`), sent to devices as stored (no re-encoding per
  pull), and its fields can grow without a hub migration; nothing queries inside it.
* `summary_links`: which records bear on which code (its contacts and kits, the naloxone uses
  naming its kits, the voids and corrections of those), so a batch recomputes a code from its
  own records by index, however the code was reached.
* `summary_counter`: the last `change_seq` given. On PostgreSQL a batch takes its row lock last,
  just before commit, so change_seqs become visible in order and a device reading after
  cursor N never misses a lower one that commits later.

PostgreSQL gets two functions, so upkeep adds no round trip to a batch (`pg_store.py`):
`outreach_summary_inputs` links the batch's records, locks the codes it touches (advisory
locks, in code order) and returns their records and current summaries;
`outreach_put_summaries` numbers and writes the changed summaries.
"""

from __future__ import annotations

import sqlalchemy as sa

SQLITE = """
CREATE TABLE IF NOT EXISTS client_summaries (
    client_code TEXT NOT NULL PRIMARY KEY,
    change_seq BIGINT NOT NULL,
    last_active TEXT NOT NULL,
    body BLOB
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS client_summaries_change_seq ON client_summaries (change_seq);
CREATE TABLE IF NOT EXISTS summary_links (
    record_id TEXT NOT NULL,
    client_code TEXT NOT NULL,
    PRIMARY KEY (record_id, client_code)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS summary_links_code ON summary_links (client_code, record_id);
CREATE TABLE IF NOT EXISTS summary_counter (id INTEGER NOT NULL PRIMARY KEY, seq BIGINT NOT NULL);
INSERT INTO summary_counter (id, seq) VALUES (1, 0) ON CONFLICT DO NOTHING
"""

POSTGRESQL_TABLES = """
CREATE TABLE IF NOT EXISTS client_summaries (
    client_code TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    change_seq BIGINT NOT NULL,
    last_active TEXT COLLATE "C" NOT NULL,
    body BYTEA
);
CREATE UNIQUE INDEX IF NOT EXISTS client_summaries_change_seq ON client_summaries (change_seq);
CREATE TABLE IF NOT EXISTS summary_links (
    record_id TEXT COLLATE "C" NOT NULL,
    client_code TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (record_id, client_code)
);
CREATE INDEX IF NOT EXISTS summary_links_code ON summary_links (client_code, record_id);
CREATE TABLE IF NOT EXISTS summary_counter (id INTEGER NOT NULL PRIMARY KEY, seq BIGINT NOT NULL);
INSERT INTO summary_counter (id, seq) VALUES (1, 0) ON CONFLICT DO NOTHING
"""

INPUTS = """
CREATE OR REPLACE FUNCTION outreach_summary_inputs(
    p_ids text[], p_codes text[], p_refs text[], p_ref_by text[]
) RETURNS TABLE (o_code text, o_body bytea, o_current int) LANGUAGE plpgsql AS $fn$
-- Link a batch's records to client codes: p_ids[i] bears on p_codes[i] (its own code);
-- p_ref_by[i] bears on every code p_refs[i] bears on (a void's or correction's target, a
-- use's kit), followed through the batch until nothing new is linked. Then lock the codes the
-- batch touches, in order, and return each one's records (o_current 0) and its current summary
-- (o_current 1).
DECLARE
    v_codes text[];
    v_code text;
    v_added int;
    v_round int := 0;
BEGIN
    INSERT INTO summary_links (record_id, client_code)
        SELECT t.i, t.c FROM unnest(p_ids, p_codes) AS t(i, c) ON CONFLICT DO NOTHING;
    LOOP
        INSERT INTO summary_links (record_id, client_code)
            SELECT r.by_id, l.client_code FROM unnest(p_refs, p_ref_by) AS r(ref, by_id)
            JOIN summary_links l ON l.record_id = r.ref ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_added = ROW_COUNT;
        v_round := v_round + 1;
        EXIT WHEN v_added = 0 OR v_round >= 8;
    END LOOP;
    SELECT array_agg(DISTINCT l.client_code ORDER BY l.client_code) INTO v_codes
        FROM summary_links l WHERE l.record_id = ANY(p_ids) OR l.record_id = ANY(p_ref_by);
    IF v_codes IS NULL THEN
        RETURN;
    END IF;
    FOREACH v_code IN ARRAY v_codes LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('outreach-summary:' || v_code, 0));
    END LOOP;
    RETURN QUERY
        SELECT l.client_code, r.body, 0 FROM summary_links l JOIN records r ON r.id = l.record_id
            WHERE l.client_code = ANY(v_codes)
        UNION ALL
        SELECT s.client_code, s.body, 1 FROM client_summaries s WHERE s.client_code = ANY(v_codes);
END
$fn$;
"""

PUT = """
CREATE OR REPLACE FUNCTION outreach_put_summaries(
    p_codes text[], p_bodies bytea[], p_active text[]
) RETURNS int8 LANGUAGE plpgsql AS $fn$
-- Number the changed summaries after every change_seq given so far and write them. The counter
-- row stays locked until commit: change_seqs become visible in the order they were given.
DECLARE
    v_count int := coalesce(cardinality(p_codes), 0);
    v_top int8;
BEGIN
    IF v_count = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE summary_counter SET seq = seq + v_count WHERE id = 1 RETURNING seq INTO v_top;
    INSERT INTO client_summaries (client_code, change_seq, last_active, body)
        SELECT t.c, v_top - v_count + t.o, t.a, t.b
        FROM unnest(p_codes, p_bodies, p_active) WITH ORDINALITY AS t(c, b, a, o)
        ON CONFLICT (client_code) DO UPDATE SET change_seq = excluded.change_seq,
            last_active = excluded.last_active, body = excluded.body;
    RETURN v_top;
END
$fn$;
"""


def upgrade(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        statements = [s for s in POSTGRESQL_TABLES.split(";\n") if s.strip()] + [INPUTS, PUT]
    else:
        statements = [s for s in SQLITE.split(";\n") if s.strip()]
    for statement in statements:
        conn.exec_driver_sql(statement)
