# ruff: noqa: E501 - SQL frozen as written (long generated lines kept byte for byte)
"""2026-12-02: the facts columns overdose events count (issue 15): naloxone given, whose kit,
taken to hospital; and a referral outcome's code (the referral funnel joins on it); on PostgreSQL `outreach_project` again, with them in its column lists (the
function names every column it inserts, so a column it does not name would stay empty). The
function is h0003's with the four columns at the end of each list
(`tests/hub/test_overdose_columns.py` checks that).

Numbered 7 by the plan for issue 15 (h0004–h0006 are other branches' steps); the lead
renumbers at merge. Idempotent: a column already there is not added again.
"""

from __future__ import annotations

import sqlalchemy as sa

COLUMNS = ("naloxone_given", "kit_owner", "taken_to_hospital", "referral_code")


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
        INSERT INTO facts (fact, id, type, active, day, week, month, year, client_code, serial, site, area, setting, age_band, gender, in_treatment, injecting, product, recipient, supply, resupply_reason, training, location_type, administered_by, ambulance_called, stayed_with_person, outcome, movement, reason, batch, expiry, risk_level, quantity, doses, substances, risk_factors, interventions, referrals, naloxone_given, kit_owner, taken_to_hospital, referral_code) SELECT r.fact, r.id, r.type, CASE WHEN EXISTS (SELECT 1 FROM retired t WHERE t.id = r.id) THEN 0 ELSE 1 END, r.day, r.week, r.month, r.year, r.client_code, r.serial, r.site, r.area, r.setting, r.age_band, r.gender, r.in_treatment, r.injecting, r.product, r.recipient, r.supply, r.resupply_reason, r.training, r.location_type, r.administered_by, r.ambulance_called, r.stayed_with_person, r.outcome, r.movement, r.reason, r.batch, r.expiry, r.risk_level, r.quantity, r.doses, r.substances, r.risk_factors, r.interventions, r.referrals, r.naloxone_given, r.kit_owner, r.taken_to_hospital, r.referral_code FROM (SELECT * FROM json_populate_recordset(NULL::facts, p_facts) n WHERE p_only IS NULL OR n.id IN (SELECT unnest(p_only))) r ;
        GET DIAGNOSTICS v_stored = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        INSERT INTO facts (fact, id, type, active, day, week, month, year, client_code, serial, site, area, setting, age_band, gender, in_treatment, injecting, product, recipient, supply, resupply_reason, training, location_type, administered_by, ambulance_called, stayed_with_person, outcome, movement, reason, batch, expiry, risk_level, quantity, doses, substances, risk_factors, interventions, referrals, naloxone_given, kit_owner, taken_to_hospital, referral_code) SELECT r.fact, r.id, r.type, CASE WHEN EXISTS (SELECT 1 FROM retired t WHERE t.id = r.id) THEN 0 ELSE 1 END, r.day, r.week, r.month, r.year, r.client_code, r.serial, r.site, r.area, r.setting, r.age_band, r.gender, r.in_treatment, r.injecting, r.product, r.recipient, r.supply, r.resupply_reason, r.training, r.location_type, r.administered_by, r.ambulance_called, r.stayed_with_person, r.outcome, r.movement, r.reason, r.batch, r.expiry, r.risk_level, r.quantity, r.doses, r.substances, r.risk_factors, r.interventions, r.referrals, r.naloxone_given, r.kit_owner, r.taken_to_hospital, r.referral_code FROM (SELECT * FROM json_populate_recordset(NULL::facts, p_facts) n WHERE p_only IS NULL OR n.id IN (SELECT unnest(p_only))) r ON CONFLICT (fact) DO NOTHING;
        GET DIAGNOSTICS v_stored = ROW_COUNT;
    END;
    IF v_stored < p_count THEN  -- a key taken, or rows of records already held (p_only)
        FOR v_row IN SELECT r.* FROM (SELECT * FROM json_populate_recordset(NULL::facts, p_facts) n WHERE p_only IS NULL OR n.id IN (SELECT unnest(p_only))) r
                WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.id = r.id) LOOP
            LOOP
                v_row.fact := v_row.fact + 1;
                INSERT INTO facts (fact, id, type, active, day, week, month, year, client_code, serial, site, area, setting, age_band, gender, in_treatment, injecting, product, recipient, supply, resupply_reason, training, location_type, administered_by, ambulance_called, stayed_with_person, outcome, movement, reason, batch, expiry, risk_level, quantity, doses, substances, risk_factors, interventions, referrals, naloxone_given, kit_owner, taken_to_hospital, referral_code) SELECT r.fact, r.id, r.type, CASE WHEN EXISTS (SELECT 1 FROM retired t WHERE t.id = r.id) THEN 0 ELSE 1 END, r.day, r.week, r.month, r.year, r.client_code, r.serial, r.site, r.area, r.setting, r.age_band, r.gender, r.in_treatment, r.injecting, r.product, r.recipient, r.supply, r.resupply_reason, r.training, r.location_type, r.administered_by, r.ambulance_called, r.stayed_with_person, r.outcome, r.movement, r.reason, r.batch, r.expiry, r.risk_level, r.quantity, r.doses, r.substances, r.risk_factors, r.interventions, r.referrals, r.naloxone_given, r.kit_owner, r.taken_to_hospital, r.referral_code FROM unnest(ARRAY[v_row]) r ON CONFLICT (fact) DO NOTHING;
                EXIT WHEN FOUND;
            END LOOP;
        END LOOP;
    END IF;
END
$fn$;
"""


def upgrade(conn: sa.Connection) -> None:
    postgres = conn.dialect.name == "postgresql"
    have = {column["name"] for column in sa.inspect(conn).get_columns("facts")}
    for name in COLUMNS:
        if name not in have:
            kind = 'TEXT COLLATE "C"' if postgres else "TEXT"
            conn.exec_driver_sql(f"ALTER TABLE facts ADD COLUMN {name} {kind}")
    if postgres:
        conn.exec_driver_sql(PROJECT)
