# ruff: noqa: E501 - SQL frozen as written (long generated lines kept byte for byte)
"""2026-12-01: PostgreSQL's batch functions, `outreach_project` and `outreach_store_batch`,
as written that day (see `outreach/hub/pg_store.py` for why a batch is one call). SQLite stores
batches statement by statement in the hub's process and needs nothing here.

Until recorded migrations, every start compared a hash of the functions' text and re-created
them; earlier versions (another signature) are dropped first. The caps (1 MiB of quarantine per
device, 256 MiB per hub) and the projection lock's key are literals: changing one is a new step
(`tests/hub/test_migrations.py` checks they match `outreach.hub.limits` and `outreach.hub.sql`).
"""

from __future__ import annotations

import sqlalchemy as sa

# Earlier versions of the functions (CREATE OR REPLACE would keep an old signature beside).
DROP_OLD = """
DO $$ DECLARE f regprocedure; BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
            WHERE p.proname IN ('outreach_project', 'outreach_store_batch')
            AND p.pronamespace = current_schema()::regnamespace LOOP
        EXECUTE 'DROP FUNCTION ' || f;
    END LOOP;
END $$;
"""

PROJECT = """
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
        INSERT INTO facts (fact, id, type, active, day, week, month, year, client_code, serial, site, area, setting, age_band, gender, in_treatment, injecting, product, recipient, supply, resupply_reason, training, location_type, administered_by, ambulance_called, stayed_with_person, outcome, movement, reason, batch, expiry, risk_level, quantity, doses, substances, risk_factors, interventions, referrals) SELECT r.fact, r.id, r.type, CASE WHEN EXISTS (SELECT 1 FROM retired t WHERE t.id = r.id) THEN 0 ELSE 1 END, r.day, r.week, r.month, r.year, r.client_code, r.serial, r.site, r.area, r.setting, r.age_band, r.gender, r.in_treatment, r.injecting, r.product, r.recipient, r.supply, r.resupply_reason, r.training, r.location_type, r.administered_by, r.ambulance_called, r.stayed_with_person, r.outcome, r.movement, r.reason, r.batch, r.expiry, r.risk_level, r.quantity, r.doses, r.substances, r.risk_factors, r.interventions, r.referrals FROM (SELECT * FROM json_populate_recordset(NULL::facts, p_facts) n WHERE p_only IS NULL OR n.id IN (SELECT unnest(p_only))) r ;
        GET DIAGNOSTICS v_stored = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        INSERT INTO facts (fact, id, type, active, day, week, month, year, client_code, serial, site, area, setting, age_band, gender, in_treatment, injecting, product, recipient, supply, resupply_reason, training, location_type, administered_by, ambulance_called, stayed_with_person, outcome, movement, reason, batch, expiry, risk_level, quantity, doses, substances, risk_factors, interventions, referrals) SELECT r.fact, r.id, r.type, CASE WHEN EXISTS (SELECT 1 FROM retired t WHERE t.id = r.id) THEN 0 ELSE 1 END, r.day, r.week, r.month, r.year, r.client_code, r.serial, r.site, r.area, r.setting, r.age_band, r.gender, r.in_treatment, r.injecting, r.product, r.recipient, r.supply, r.resupply_reason, r.training, r.location_type, r.administered_by, r.ambulance_called, r.stayed_with_person, r.outcome, r.movement, r.reason, r.batch, r.expiry, r.risk_level, r.quantity, r.doses, r.substances, r.risk_factors, r.interventions, r.referrals FROM (SELECT * FROM json_populate_recordset(NULL::facts, p_facts) n WHERE p_only IS NULL OR n.id IN (SELECT unnest(p_only))) r ON CONFLICT (fact) DO NOTHING;
        GET DIAGNOSTICS v_stored = ROW_COUNT;
    END;
    IF v_stored < p_count THEN  -- a key taken, or rows of records already held (p_only)
        FOR v_row IN SELECT r.* FROM (SELECT * FROM json_populate_recordset(NULL::facts, p_facts) n WHERE p_only IS NULL OR n.id IN (SELECT unnest(p_only))) r
                WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.id = r.id) LOOP
            LOOP
                v_row.fact := v_row.fact + 1;
                INSERT INTO facts (fact, id, type, active, day, week, month, year, client_code, serial, site, area, setting, age_band, gender, in_treatment, injecting, product, recipient, supply, resupply_reason, training, location_type, administered_by, ambulance_called, stayed_with_person, outcome, movement, reason, batch, expiry, risk_level, quantity, doses, substances, risk_factors, interventions, referrals) SELECT r.fact, r.id, r.type, CASE WHEN EXISTS (SELECT 1 FROM retired t WHERE t.id = r.id) THEN 0 ELSE 1 END, r.day, r.week, r.month, r.year, r.client_code, r.serial, r.site, r.area, r.setting, r.age_band, r.gender, r.in_treatment, r.injecting, r.product, r.recipient, r.supply, r.resupply_reason, r.training, r.location_type, r.administered_by, r.ambulance_called, r.stayed_with_person, r.outcome, r.movement, r.reason, r.batch, r.expiry, r.risk_level, r.quantity, r.doses, r.substances, r.risk_factors, r.interventions, r.referrals FROM unnest(ARRAY[v_row]) r ON CONFLICT (fact) DO NOTHING;
                EXIT WHEN FOUND;
            END LOOP;
        END LOOP;
    END IF;
END
$fn$;
"""

STORE_BATCH = """
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
        PERFORM pg_advisory_xact_lock_shared(-8083862500233979406);
    ELSE
        PERFORM pg_advisory_xact_lock(-8083862500233979406);
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
    IF cardinality(p_refused_seqs) > 0 AND (v_held + p_refused_bytes > 1048576
            OR (SELECT sum(quarantine_bytes) FROM devices) + p_refused_bytes
                > 268435456)
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
            WITH stored AS (INSERT INTO records (id, device_id, device_seq, type, occurred_at, batch_id, body) SELECT r.id, p_device, r.seq, r.type, r.occurred_at, p_batch, r.body FROM unnest(p_ids, p_seqs, p_types, p_occurred, p_bodies) AS r(id, seq, type, occurred_at, body)  RETURNING id) SELECT array_agg(id) INTO v_new FROM stored;
        EXCEPTION WHEN unique_violation THEN
            WITH stored AS (INSERT INTO records (id, device_id, device_seq, type, occurred_at, batch_id, body) SELECT r.id, p_device, r.seq, r.type, r.occurred_at, p_batch, r.body FROM unnest(p_ids, p_seqs, p_types, p_occurred, p_bodies) AS r(id, seq, type, occurred_at, body) ON CONFLICT DO NOTHING RETURNING id) SELECT array_agg(id) INTO v_new FROM stored;
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


def upgrade(conn: sa.Connection) -> None:
    if conn.dialect.name != "postgresql":
        return
    for statement in (DROP_OLD, PROJECT, STORE_BATCH):
        conn.exec_driver_sql(statement)
    # The hash by which earlier hubs decided to re-create the functions.
    conn.exec_driver_sql("DELETE FROM hub_meta WHERE key = 'pg_functions'")
