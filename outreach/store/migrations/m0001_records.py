"""Migration 1 (2026-11-23): records, the dictionary-coded facts projection, retirements, receipts.

Literal SQL, frozen as the first stores were made; a later change is a later migration.
"""

from __future__ import annotations

from outreach.store.connection import Connection
from outreach.store.migrations.script import run_script

SQL = """
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
CREATE TABLE codes (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
-- One row per countable record (seq = records.device_seq); active = 0 once voided or superseded.
CREATE TABLE fact_data (
  seq INTEGER PRIMARY KEY REFERENCES records (device_seq) ON DELETE CASCADE,
  active INTEGER NOT NULL DEFAULT 1,
  day INTEGER NOT NULL,
  type INTEGER,
  week INTEGER,
  month INTEGER,
  year INTEGER,
  client_code INTEGER,
  serial INTEGER,
  site INTEGER,
  area INTEGER,
  setting INTEGER,
  age_band INTEGER,
  gender INTEGER,
  in_treatment INTEGER,
  injecting INTEGER,
  product INTEGER,
  recipient INTEGER,
  supply INTEGER,
  resupply_reason INTEGER,
  training INTEGER,
  location_type INTEGER,
  administered_by INTEGER,
  ambulance_called INTEGER,
  stayed_with_person INTEGER,
  outcome INTEGER,
  movement INTEGER,
  reason INTEGER,
  batch INTEGER,
  expiry INTEGER,
  risk_level INTEGER,
  quantity INTEGER,
  doses INTEGER
);
CREATE INDEX fact_data_type_day ON fact_data (type, day);
CREATE INDEX fact_data_client ON fact_data (client_code) WHERE client_code IS NOT NULL;
CREATE INDEX fact_data_serial ON fact_data (serial) WHERE serial IS NOT NULL;
CREATE TABLE fact_item_data (
  seq INTEGER NOT NULL REFERENCES fact_data (seq) ON DELETE CASCADE,
  field INTEGER NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (seq, field, value)
) WITHOUT ROWID;
CREATE INDEX fact_item_data_field ON fact_item_data (field, value);
CREATE VIEW facts AS SELECT
  f.seq AS fact,
  r.id AS id,
  f.active AS active,
  date(f.day + 1721424.5) AS day,
  c_type.value AS type,
  c_week.value AS week,
  c_month.value AS month,
  c_year.value AS year,
  c_client_code.value AS client_code,
  c_serial.value AS serial,
  c_site.value AS site,
  c_area.value AS area,
  c_setting.value AS setting,
  c_age_band.value AS age_band,
  c_gender.value AS gender,
  c_in_treatment.value AS in_treatment,
  c_injecting.value AS injecting,
  c_product.value AS product,
  c_recipient.value AS recipient,
  c_supply.value AS supply,
  c_resupply_reason.value AS resupply_reason,
  c_training.value AS training,
  c_location_type.value AS location_type,
  c_administered_by.value AS administered_by,
  c_ambulance_called.value AS ambulance_called,
  c_stayed_with_person.value AS stayed_with_person,
  c_outcome.value AS outcome,
  c_movement.value AS movement,
  c_reason.value AS reason,
  c_batch.value AS batch,
  c_expiry.value AS expiry,
  c_risk_level.value AS risk_level,
  f.quantity AS quantity,
  f.doses AS doses
FROM fact_data f JOIN records r ON r.device_seq = f.seq
LEFT JOIN codes c_type ON c_type.id = f.type
LEFT JOIN codes c_week ON c_week.id = f.week
LEFT JOIN codes c_month ON c_month.id = f.month
LEFT JOIN codes c_year ON c_year.id = f.year
LEFT JOIN codes c_client_code ON c_client_code.id = f.client_code
LEFT JOIN codes c_serial ON c_serial.id = f.serial
LEFT JOIN codes c_site ON c_site.id = f.site
LEFT JOIN codes c_area ON c_area.id = f.area
LEFT JOIN codes c_setting ON c_setting.id = f.setting
LEFT JOIN codes c_age_band ON c_age_band.id = f.age_band
LEFT JOIN codes c_gender ON c_gender.id = f.gender
LEFT JOIN codes c_in_treatment ON c_in_treatment.id = f.in_treatment
LEFT JOIN codes c_injecting ON c_injecting.id = f.injecting
LEFT JOIN codes c_product ON c_product.id = f.product
LEFT JOIN codes c_recipient ON c_recipient.id = f.recipient
LEFT JOIN codes c_supply ON c_supply.id = f.supply
LEFT JOIN codes c_resupply_reason ON c_resupply_reason.id = f.resupply_reason
LEFT JOIN codes c_training ON c_training.id = f.training
LEFT JOIN codes c_location_type ON c_location_type.id = f.location_type
LEFT JOIN codes c_administered_by ON c_administered_by.id = f.administered_by
LEFT JOIN codes c_ambulance_called ON c_ambulance_called.id = f.ambulance_called
LEFT JOIN codes c_stayed_with_person ON c_stayed_with_person.id = f.stayed_with_person
LEFT JOIN codes c_outcome ON c_outcome.id = f.outcome
LEFT JOIN codes c_movement ON c_movement.id = f.movement
LEFT JOIN codes c_reason ON c_reason.id = f.reason
LEFT JOIN codes c_batch ON c_batch.id = f.batch
LEFT JOIN codes c_expiry ON c_expiry.id = f.expiry
LEFT JOIN codes c_risk_level ON c_risk_level.id = f.risk_level;
CREATE VIEW fact_items AS SELECT i.seq AS fact, cf.value AS field, cv.value AS value
FROM fact_item_data i JOIN codes cf ON cf.id = i.field JOIN codes cv ON cv.id = i.value;

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
"""


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
