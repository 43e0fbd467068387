"""A store seeded with a small, hand-countable January 2026 (see the expected values in tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from outreach.domain.client_code import make_client_code
from outreach.store.store import Store
from tests.samples import NALOXONE_USE

JANUARY = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
KEY = b"k" * 32
CODE_A = make_client_code(KEY, "AB", dt.date(1980, 1, 2), "male", today=dt.date(2026, 1, 1))
CODE_B = make_client_code(KEY, "CD", dt.date(1990, 3, 4), "female", today=dt.date(2026, 1, 1))
CODE_C = make_client_code(KEY, "EF", dt.date(1975, 5, 6), "male", today=dt.date(2026, 1, 1))
CODES = (CODE_A, CODE_B, CODE_C)

VERY_HIGH = {
    "risk_factors": ["previous_overdose", "using_alone"],
    "substances": ["heroin"],
    "injecting": "current",
    "age_band": "25_34",
}
HIGH = {"risk_factors": ["previous_overdose"], "substances": ["heroin"], "injecting": "never"}


def _contact(day: str, site: str = "outreach_van", **fields: Any) -> dict[str, Any]:
    return {
        "type": "contact",
        "site": site,
        "setting": "street",
        "occurred_at": f"{day}T12:00:00+00:00",
        **fields,
    }


def _kit(day: str, site: str = "outreach_van", **fields: Any) -> dict[str, Any]:
    base = {
        "type": "kit_issue",
        "site": site,
        "product": "nyxoid_1_8mg_nasal",
        "batch": "NX1",
        "expiry": "2030-01-31",
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "full",
        "occurred_at": f"{day}T12:00:00+00:00",
    }
    return {**base, **fields}


def seed_january(store: Store) -> None:
    """Six live contacts, four kits and two naloxone uses in January; decoys outside it."""
    rows = [
        _contact(
            "2026-01-05",
            area="LS1",
            client_code=CODE_A,
            interventions=["naloxone_training", "harm_reduction_advice"],
            referrals=[{"to": "drug_treatment"}, {"to": "gp"}],
            **VERY_HIGH,
        ),
        _contact("2026-01-12", area="LS1", setting="hostel", client_code=CODE_A, **VERY_HIGH),
        _contact("2026-01-06", area="LS2", client_code=CODE_B, **HIGH),
        _contact("2026-01-07", area="LS2", interventions=["naloxone_supplied"], **HIGH),
        _contact("2026-01-08", site="pharmacy", area="LS2", setting="pharmacy", **VERY_HIGH),
        _contact(
            "2026-01-09",
            area="LS3",
            client_code=CODE_C,
            substances=["crack"],
            referrals=[{"to": "housing"}],
        ),
        _contact("2026-02-05", area="LS1", client_code=CODE_A, **HIGH),  # after the period
        _kit("2026-01-06", client_code=CODE_B),
        _kit(
            "2026-01-09",
            client_code=CODE_C,
            product="prenoxad_2mg_syringe",
            recipient="family_friend",
            supply="repeat",
            resupply_reason="used_on_other",
            training="brief",
        ),
        _kit(
            "2026-01-10",
            site="pharmacy",
            supply="repeat",
            resupply_reason="used_on_self",
            training="declined",
        ),
        _kit(
            "2026-01-11",
            site="pharmacy",
            recipient="carer",
            supply="repeat",
            resupply_reason="lost",
            training="refresher",
        ),
        _kit("2025-12-31", client_code=CODE_A),  # before the period: A is still without a kit
        {**NALOXONE_USE, "site": "outreach_van"},
        {
            "type": "naloxone_use",
            "site": "pharmacy",
            "occurred_on": "2026-01-09",
            "location_type": "home",
            "administered_by": "family_friend",
            "product": "nyxoid_1_8mg_nasal",
            "outcome": "died",
        },
    ]
    for row in rows:
        store.add_new(row)
    voided, _ = store.add_new(_contact("2026-01-10", area="LS9", **VERY_HIGH))
    store.void(voided.id, "entered_in_error")


@pytest.fixture
def seeded(store: Store) -> Store:
    seed_january(store)
    return store
