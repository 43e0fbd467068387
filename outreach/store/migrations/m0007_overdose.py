"""Migration 7 (2026-12-02): the roll-up also counts overdose events and referral outcomes.

Both types count only fields that already had facts columns (no table changes), but the roll-up
of migration 3 has cells for the types of its day only; without this step the new types are
counted from the fact rows (exact, slower over long periods). A literal copy of the counted
fields on this day, as migration 3's.
"""

from __future__ import annotations

from outreach.store import rollup
from outreach.store.connection import Connection

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
            "substances",
        ),
        "referral_outcome": ("site", "outcome"),
    },
    items=("substances", "risk_factors", "interventions", "referrals"),
)


def upgrade(conn: Connection) -> None:
    rollup.install(conn, FIELDS)
