"""The columns the counting tables have: the laptop's `fact_data` (frozen migrations) and the
hub's `facts`. Literal on purpose — a table changes only through a migration — so a record type
can count a field only once a column holds it (`registry.register` checks; docs/extending.md)."""

from __future__ import annotations

# Added by later migrations (store m0006, hub h0007: overdose events, issue 15); ALTER TABLE puts
# them after every earlier column, so the tables' column order lists them last.
ADDED_FACT_COLUMNS: tuple[str, ...] = (
    "naloxone_given",
    "kit_owner",
    "taken_to_hospital",
    "referral_code",  # a referral outcome's code: the funnel joins on it without reading bodies
)
# Scalar fields that can be counted (the facts tables' columns, those of migration 1 in order).
FACT_COLUMNS: tuple[str, ...] = (
    "site",
    "area",
    "setting",
    "age_band",
    "gender",
    "in_treatment",
    "injecting",
    "product",
    "recipient",
    "supply",
    "resupply_reason",
    "training",
    "location_type",
    "administered_by",
    "ambulance_called",
    "stayed_with_person",
    "outcome",
    "movement",
    "reason",
    "batch",
    "expiry",
    "risk_level",
    *ADDED_FACT_COLUMNS,
)
NUMERIC_COLUMNS: tuple[str, ...] = ("quantity", "doses")
PERIOD_FIELDS: tuple[str, ...] = ("day", "week", "month", "year")
# List fields: item rows on the laptop, one array column each on the hub.
ITEM_FIELDS: tuple[str, ...] = ("substances", "risk_factors", "interventions", "referrals")
