"""Migration 7 (2026-12-02): overdose events and referral outcomes in the counting tables.

* Three columns for what an overdose event counts that no earlier type did (naloxone given,
  whose kit, taken to hospital), one for a referral outcome's code (the referral funnel joins
  on it), and the `facts` view re-made to show them.
* Item rows `referral_code` for the contacts already stored (a contact's `join_items` writes
  them from now on): the referral funnel joins outcomes on them instead of reading bodies.
* The roll-up again, with both new types: migration 3's has cells for the types of its day
  only, and without this step they would be counted from the fact rows (exact, slower over
  long periods). A literal copy of the counted fields on this day, as migration 3's.
"""

from __future__ import annotations

import msgspec

from outreach.store import rollup
from outreach.store.connection import Connection
from outreach.store.migrations.script import run_script

FIELDS = rollup.RollupFields(
    counted={
        "contact": (
            "site",
            "area",
            "setting",
            "age_band",
            "gender",
            "in_treatment",
            "injecting",
            "risk_level",
            "substances",
            "risk_factors",
            "interventions",
            "referrals",
        ),
        "kit_issue": (
            "site",
            "product",
            "recipient",
            "supply",
            "resupply_reason",
            "training",
            "in_treatment",
        ),
        "naloxone_use": (
            "site",
            "location_type",
            "administered_by",
            "product",
            "ambulance_called",
            "stayed_with_person",
            "outcome",
        ),
        "stock_movement": ("site", "product", "movement", "reason", "batch", "expiry"),
        "overdose_event": (
            "site",
            "area",
            "location_type",
            "administered_by",
            "ambulance_called",
            "outcome",
            "naloxone_given",
            "kit_owner",
            "taken_to_hospital",
            "substances",
        ),
        "referral_outcome": ("site", "outcome"),
    },
    items=("substances", "risk_factors", "interventions", "referrals"),
)

SQL = """
ALTER TABLE fact_data ADD COLUMN naloxone_given INTEGER;
ALTER TABLE fact_data ADD COLUMN kit_owner INTEGER;
ALTER TABLE fact_data ADD COLUMN taken_to_hospital INTEGER;
ALTER TABLE fact_data ADD COLUMN referral_code INTEGER;
DROP VIEW facts;
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
  f.doses AS doses,
  c_naloxone_given.value AS naloxone_given,
  c_kit_owner.value AS kit_owner,
  c_taken_to_hospital.value AS taken_to_hospital,
  c_referral_code.value AS referral_code
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
LEFT JOIN codes c_risk_level ON c_risk_level.id = f.risk_level
LEFT JOIN codes c_naloxone_given ON c_naloxone_given.id = f.naloxone_given
LEFT JOIN codes c_kit_owner ON c_kit_owner.id = f.kit_owner
LEFT JOIN codes c_taken_to_hospital ON c_taken_to_hospital.id = f.taken_to_hospital
LEFT JOIN codes c_referral_code ON c_referral_code.id = f.referral_code;
"""


class _Referral(msgspec.Struct):
    referral_code: str | None = None


class _Contact(msgspec.Struct):
    """What this step reads of a stored contact (a copy of that day's shape)."""

    referrals: list[_Referral] = []


def _code(conn: Connection, value: str) -> int:
    conn.execute("INSERT OR IGNORE INTO codes (value) VALUES (?)", (value,))
    return int(conn.execute("SELECT id FROM codes WHERE value = ?", (value,)).fetchone()[0])


def _referral_codes(conn: Connection) -> None:
    decode = msgspec.msgpack.Decoder(_Contact).decode
    field = _code(conn, "referral_code")
    rows = conn.execute(
        "SELECT f.seq, r.body FROM fact_data f JOIN records r ON r.device_seq = f.seq "
        "WHERE f.type = (SELECT id FROM codes WHERE value = 'contact')"
    ).fetchall()
    for seq, body in rows:
        for referral in decode(body).referrals:
            if referral.referral_code:
                conn.execute(
                    "INSERT OR IGNORE INTO fact_item_data (seq, field, value) VALUES (?, ?, ?)",
                    (seq, field, _code(conn, referral.referral_code)),
                )


def upgrade(conn: Connection) -> None:
    run_script(conn, SQL)
    _referral_codes(conn)
    rollup.install(conn, FIELDS)
