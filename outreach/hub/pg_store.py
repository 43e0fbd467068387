"""PostgreSQL: a batch stored by one server-side function call instead of a dozen statements.

Each statement sent to PostgreSQL costs a round trip: ~150 µs of server CPU and as much of
client CPU before any row is touched, and most of a batch's cost on a two-core machine. So the
checks that need the database (device revoked? batch already claimed? a seq reused?), the
record, quarantine and projection writes and the watermark run in `outreach_store_batch`. The
records travel as one binary array per column (psycopg dumps those in C; PostgreSQL unnests
them without parsing), the facts rows, whose columns vary by record type, as JSON that msgspec
encodes in C. The hub's Python keeps the work that needs no database (signature, decryption,
validation, the facts rows) and the signed receipt, written in the same transaction.

`outreach_project` is the projection alone, also used for records an older hub left pending.
SQLite keeps the statement-by-statement writer (`ingest.py`, `projection.py`): it runs in the
hub's process, where a statement costs microseconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from outreach.hub import db
from outreach.hub.limits import (
    QUARANTINE_BYTES_PER_DEVICE,
    QUARANTINE_BYTES_TOTAL,
    quarantine_bytes,
)
from outreach.hub.projection import Projected
from outreach.hub.sql import PROJECTION_LOCK, Sql


class _Retirement(msgspec.Struct):
    id: str
    by_id: str


_encode = msgspec.json.Encoder().encode
_FACT_NAMES = [column.name for column in db.facts.columns]


def _facts_insert(source: str, conflicts: str = "ON CONFLICT (fact) DO NOTHING") -> str:
    """INSERT of facts rows from `source` (rows of type facts, aliased r): a record retired
    before it arrived goes in inactive; a wanted key already taken is skipped (see below)."""
    values = [
        "CASE WHEN EXISTS (SELECT 1 FROM retired t WHERE t.id = r.id) THEN 0 ELSE 1 END"
        if name == "active"
        else f"r.{name}"
        for name in _FACT_NAMES
    ]
    return (
        f"INSERT INTO facts ({', '.join(_FACT_NAMES)}) SELECT {', '.join(values)} "
        f"FROM {source} r {conflicts}"
    )


_NEW_FACTS = (
    "(SELECT * FROM json_populate_recordset(NULL::facts, p_facts) n "
    "WHERE p_only IS NULL OR n.id IN (SELECT unnest(p_only)))"
)

_PROJECT = f"""
CREATE OR REPLACE FUNCTION outreach_project(
    p_facts json, p_count int, p_retires json, p_only text[]
) RETURNS void LANGUAGE plpgsql AS $fn$
-- Facts for newly stored records (p_count rows in p_facts; only those of ids in p_only unless
-- it is NULL), list fields as arrays; voids and corrections retire their targets. Keys come
-- from record ids (fact_key); one already taken moves to the next free.
DECLARE
    v_row facts;
    v_stored int;
BEGIN
    IF p_retires IS NOT NULL THEN
        INSERT INTO retired (id, by_id)
            SELECT r.id, r.by_id FROM json_to_recordset(p_retires) AS r(id text, by_id text)
            WHERE p_only IS NULL OR r.by_id IN (SELECT unnest(p_only))
            ON CONFLICT DO NOTHING;
        UPDATE facts SET active = 0 WHERE id IN (
            SELECT r.id FROM json_to_recordset(p_retires) AS r(id text, by_id text)
            WHERE p_only IS NULL OR r.by_id IN (SELECT unnest(p_only)));
    END IF;
    IF p_facts IS NULL THEN
        RETURN;
    END IF;
    BEGIN  -- a plain INSERT first, as for records (see outreach_store_batch)
        {_facts_insert(_NEW_FACTS, "")};
        GET DIAGNOSTICS v_stored = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        {_facts_insert(_NEW_FACTS)};
        GET DIAGNOSTICS v_stored = ROW_COUNT;
    END;
    IF v_stored < p_count THEN  -- a key taken, or rows of records already held (p_only)
        FOR v_row IN SELECT r.* FROM {_NEW_FACTS} r
                WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.id = r.id) LOOP
            LOOP
                v_row.fact := v_row.fact + 1;
                {_facts_insert("unnest(ARRAY[v_row])")};
                EXIT WHEN FOUND;
            END LOOP;
        END LOOP;
    END IF;
END
$fn$;
"""


def _records_insert(conflicts: str) -> str:
    """INSERT of the batch's records (arrays p_ids, p_seqs, …) into `v_new`, their ids."""
    return (
        "WITH stored AS (INSERT INTO records "
        "(id, device_id, device_seq, type, occurred_at, batch_id, body) "
        "SELECT r.id, p_device, r.seq, r.type, r.occurred_at, p_batch, r.body "
        "FROM unnest(p_ids, p_seqs, p_types, p_occurred, p_bodies) "
        f"AS r(id, seq, type, occurred_at, body) {conflicts} RETURNING id) "
        "SELECT array_agg(id) INTO v_new FROM stored"
    )


_STORE_BATCH = f"""
CREATE OR REPLACE FUNCTION outreach_store_batch(
    p_batch text, p_device text, p_first int8, p_last int8, p_sha256 text, p_at text,
    p_via text, p_envelope bytea, p_ids text[], p_seqs int8[], p_types text[],
    p_occurred text[], p_bodies bytea[], p_refused_seqs int8[], p_errors text[],
    p_refused bytea[], p_facts json, p_facts_count int, p_retires json, p_refused_bytes int8,
    OUT status text, OUT accepted int, OUT acked int8, OUT clash int8
) LANGUAGE plpgsql AS $fn$
-- One checked batch (see outreach/hub/pg_store.py). The caller writes the signed receipt into
-- batches.receipt and commits, or rolls back unless status is 'stored'.
DECLARE
    v_revoked text;
    v_new text[];
    v_held int8;
    v_low int8;
    v_reach int8;
BEGIN
    accepted := 0;
    -- Voids and their targets stored by two transactions at once would miss each other:
    -- one that retires records runs alone (exclusive), the others side by side (shared).
    IF p_retires IS NULL THEN
        PERFORM pg_advisory_xact_lock_shared({PROJECTION_LOCK});
    ELSE
        PERFORM pg_advisory_xact_lock({PROJECTION_LOCK});
    END IF;
    SELECT d.acked_through, d.revoked_at, d.quarantine_bytes INTO acked, v_revoked, v_held
        FROM devices d WHERE d.device_id = p_device FOR UPDATE;
    IF NOT FOUND THEN
        status := 'unknown';
        RETURN;
    ELSIF v_revoked IS NOT NULL THEN
        status := 'revoked';
        RETURN;
    END IF;
    -- Past the quarantine cap, refused before the batch is claimed (a claim rolled back
    -- would leave its envelope behind as a dead row); a replay still gets its receipt.
    IF cardinality(p_refused_seqs) > 0 AND (v_held + p_refused_bytes > {QUARANTINE_BYTES_PER_DEVICE}
            OR (SELECT sum(quarantine_bytes) FROM devices) + p_refused_bytes
                > {QUARANTINE_BYTES_TOTAL})
            AND NOT EXISTS (SELECT 1 FROM batches WHERE batch_id = p_batch) THEN
        status := 'quarantine_full';
        RETURN;
    END IF;
    INSERT INTO batches (batch_id, device_id, first_seq, last_seq, sha256, received_at, via,
                         envelope, receipt)
        VALUES (p_batch, p_device, p_first, p_last, p_sha256, p_at, p_via, p_envelope, '')
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        status := 'claimed';
        RETURN;
    END IF;
    IF v_held > 0 THEN  -- a seq once quarantined takes only the same bytes again
        SELECT r.seq INTO clash FROM unnest(p_seqs || p_refused_seqs, p_bodies || p_refused)
                AS r(seq, body)
            JOIN quarantine q ON q.device_id = p_device AND q.device_seq = r.seq
            WHERE q.body <> r.body ORDER BY r.seq LIMIT 1;
    END IF;
    IF clash IS NULL AND cardinality(p_refused_seqs) > 0 THEN  -- nor an invalid record
        SELECT r.seq INTO clash FROM unnest(p_refused_seqs, p_refused) AS r(seq, body)
            JOIN records h ON h.device_id = p_device AND h.device_seq = r.seq
            WHERE h.body <> r.body ORDER BY r.seq LIMIT 1;
    END IF;
    IF clash IS NOT NULL THEN
        status := 'seq_reused';
        RETURN;
    END IF;
    IF cardinality(p_refused_seqs) > 0 THEN
        INSERT INTO quarantine (batch_id, device_seq, device_id, error, body)
            SELECT p_batch, q.seq, p_device, q.error, q.body
            FROM unnest(p_refused_seqs, p_errors, p_refused) AS q(seq, error, body)
            ON CONFLICT DO NOTHING;
        UPDATE devices SET quarantine_bytes = quarantine_bytes + p_refused_bytes
            WHERE device_id = p_device;
    END IF;
    IF cardinality(p_ids) > 0 THEN
        -- A plain INSERT first: ON CONFLICT checks every row's keys before inserting it, a
        -- tenth of the server's work per batch, for duplicates that seldom come.
        BEGIN
            {_records_insert("")};
        EXCEPTION WHEN unique_violation THEN
            {_records_insert("ON CONFLICT DO NOTHING")};
        END;
        accepted := coalesce(cardinality(v_new), 0);
        IF accepted < cardinality(p_ids) THEN
            -- Skipped rows are duplicates, unless their seq holds another record: the
            -- device's store went back in time and merging would drop records.
            SELECT r.seq INTO clash FROM unnest(p_ids, p_seqs) AS r(id, seq)
                JOIN records h ON h.device_id = p_device AND h.device_seq = r.seq
                WHERE h.id <> r.id ORDER BY r.seq LIMIT 1;
            IF clash IS NOT NULL THEN
                status := 'seq_reused';
                RETURN;
            END IF;
        END IF;
        IF accepted = cardinality(p_ids) THEN  -- all new: no need to pick them out
            PERFORM outreach_project(p_facts, p_facts_count, p_retires, NULL);
        ELSIF accepted > 0 THEN
            PERFORM outreach_project(p_facts, p_facts_count, p_retires, v_new);
        END IF;
    END IF;
    -- The watermark: the highest seq such that every seq up to it has arrived. It moves only
    -- if this batch covers the next seq; each step reads the batches starting in the seqs the
    -- last step added (see BatchWriter._advance).
    IF p_first <= acked + 1 AND acked + 1 <= p_last THEN
        v_low := acked + 2;
        acked := p_last;
        LOOP
            SELECT max(b.last_seq) INTO v_reach FROM batches b
                WHERE b.device_id = p_device AND b.first_seq BETWEEN v_low AND acked + 1;
            EXIT WHEN v_reach IS NULL OR v_reach <= acked;
            v_low := acked + 2;
            acked := v_reach;
        END LOOP;
        UPDATE devices SET acked_through = acked WHERE device_id = p_device;
    END IF;
    status := 'stored';
END
$fn$;
"""

# Rows of records as one array per column, in binary (psycopg dumps those in C); facts rows,
# whose columns vary by record type, as JSON.
_CALL = (
    "SELECT status, accepted, acked, clash FROM outreach_store_batch("
    "%s, %s, %s, %s, %s, %s, %s, %b, %b::text[], %b::int8[], %b::text[], %b::text[], "
    "%b::bytea[], %b::int8[], %b::text[], %b::bytea[], %s::json, %s, %s::json, %s)"
)


# This hub's functions in pg_proc p, whatever their arguments.
_OURS = (
    "p.proname IN ('outreach_project', 'outreach_store_batch') "
    "AND p.pronamespace = current_schema()::regnamespace"
)
# Earlier versions of the functions (CREATE OR REPLACE would keep an old signature beside).
_DROP_OLD = f"""
DO $$ DECLARE f regprocedure; BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p WHERE {_OURS} LOOP
        EXECUTE 'DROP FUNCTION ' || f;
    END LOOP;
END $$;
"""
_FUNCTIONS_DIGEST = hashlib.sha256((_PROJECT + _STORE_BATCH).encode()).hexdigest()


def install(conn: sa.Connection) -> None:
    """(Re)create the functions when this hub's text of them is not the one installed (a hash
    of it is kept in hub_meta): an upgrade brings its own, and opening the hub for any command
    while it serves does not replace them under running batches."""
    cursor = Sql.cursor(conn)
    cursor.execute("SELECT value FROM hub_meta WHERE key = 'pg_functions'")
    installed = cursor.fetchone()
    cursor.execute(f"SELECT count(*) FROM pg_proc p WHERE {_OURS}")
    if installed == (_FUNCTIONS_DIGEST,) and cursor.fetchone() == (2,):  # just these two
        return
    cursor.execute(_DROP_OLD)
    cursor.execute(_PROJECT)
    cursor.execute(_STORE_BATCH)
    cursor.execute(
        "INSERT INTO hub_meta (key, value) VALUES ('pg_functions', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_FUNCTIONS_DIGEST,),
    )


def _json(rows: Sequence[msgspec.Struct] | Sequence[dict[str, Any]]) -> str | None:
    return _encode(rows).decode() if rows else None


def projection_documents(new: Sequence[Projected]) -> tuple[str | None, int, str | None]:
    """The facts rows and retirements of checked records (made with `compact=True`), as JSON,
    and how many facts rows. Each row gets its fact key and serial here, in place."""
    facts: list[dict[str, Any]] = []
    retires: list[_Retirement] = []
    for item in new:
        record = item.record
        if item.retires is not None:
            retires.append(_Retirement(item.retires, record.id))
        row = item.row
        if row is None:
            continue
        row["fact"] = db.fact_key(record.id)
        serial = getattr(record, "serial", None)
        if serial is not None:
            row["serial"] = serial
        facts.append(row)
    return _json(facts), len(facts), _json(retires)


def batch_call(
    claim: tuple[str, str, int, int, str, str, str, bytes],
    good: Sequence[tuple[int, bytes, Projected]],
    bad: Sequence[tuple[int, bytes, str]],
) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters that run `outreach_store_batch`; `claim` is the batches row
    (batch id, device id, first and last seq, sha256, received at, via, envelope). Its one
    result row is `Stored` (ingest.py): status, accepted, acked through, clash."""
    records = [
        [item.record.id for _, _, item in good],
        [seq for seq, _, _ in good],
        [item.type for _, _, item in good],
        [item.occurred_at for _, _, item in good],
        [body for _, body, _ in good],
    ]
    refused = [[seq for seq, _, _ in bad], [error for _, _, error in bad], [b for _, b, _ in bad]]
    facts, count, retires = projection_documents([item for _, _, item in good])
    return _CALL, (*claim, *records, *refused, facts, count, retires, quarantine_bytes(bad))


def project(conn: sa.Connection, new: Sequence[Projected]) -> None:
    """Project records stored earlier (`Hub.project_pending`) through `outreach_project`."""
    facts, count, retires = projection_documents(new)
    cursor = Sql.cursor(conn)
    cursor.execute("SELECT outreach_project(%s::json, %s, %s::json, NULL)", (facts, count, retires))
