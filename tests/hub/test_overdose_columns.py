"""Hub migration h0007 (issue 15): the overdose event's columns, and PostgreSQL's projection
function naming them (a column the function does not name would be left empty)."""

from __future__ import annotations

from outreach.hub.migrations import h0003_pg_functions, h0007_overdose
from outreach.records.columns import ADDED_FACT_COLUMNS

BEFORE = (
    "r.risk_level, r.quantity, r.doses, r.substances, r.risk_factors, r.interventions, r.referrals"
)
NAMES = "risk_level, quantity, doses, substances, risk_factors, interventions, referrals"


def test_the_function_is_h0003s_with_the_new_columns_last() -> None:
    assert h0007_overdose.COLUMNS == ADDED_FACT_COLUMNS
    added = ", ".join(ADDED_FACT_COLUMNS)
    expected = h0003_pg_functions.PROJECT.replace(
        BEFORE, BEFORE + ", " + ", ".join(f"r.{c}" for c in ADDED_FACT_COLUMNS)
    ).replace(NAMES + ")", f"{NAMES}, {added})")
    assert h0003_pg_functions.PROJECT.count(BEFORE) == 3
    assert expected == h0007_overdose.PROJECT
