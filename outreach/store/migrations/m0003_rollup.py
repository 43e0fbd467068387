"""Migration 3 (2026-11-30): counts over long periods.

The daily roll-up with its triggers, for the fields counted on that day (a literal copy, so that
a later change to `facts.COUNT_FIELDS` cannot change what this step builds: that change is a new
migration calling `rollup.install` with the new fields), and covering indexes for the two counts
that must see people (distinct client codes; high risk without a kit), so neither reads rows.
"""

from __future__ import annotations

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
    },
    items=("substances", "risk_factors", "interventions", "referrals"),
)

SQL = """
CREATE INDEX fact_data_people ON fact_data (type, day, client_code, site)
  WHERE client_code IS NOT NULL AND active = 1;
CREATE INDEX fact_data_risk ON fact_data (type, risk_level, day, area, client_code, site)
  WHERE risk_level IS NOT NULL AND active = 1;
"""


def upgrade(conn: Connection) -> None:
    rollup.install(conn, FIELDS)
    run_script(conn, SQL)
