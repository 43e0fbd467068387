"""The commissioner count set against values counted by hand from the seeded January."""

from __future__ import annotations

import pytest

from outreach.reports.commissioner import commissioner_counts, local_counts, store_runner
from outreach.reports.countset import CountSet
from outreach.store.store import Store
from tests.reports.conftest import JANUARY


def rows(counts: CountSet, name: str) -> dict[object, object]:
    table = counts.table(name)
    return {key[0] if len(key) == 1 else key: n for key, n in table.rows}


def test_headline_numbers_match_hand_counts(seeded: Store) -> None:
    """Contacts, people, kits, repeats, uses, training, referrals and at-risk are hand-checked."""
    counts = local_counts(seeded.conn, *JANUARY)
    assert {h.name: h.value for h in counts.headlines} == {
        "contacts": 6,
        "people_reached": 3,
        "kits": 4,
        "repeat_kits": 3,
        "repeats_due_to_use": 2,
        "naloxone_uses": 2,
        "kits_with_training": 3,
        "contacts_with_training": 1,
        "referrals": 3,
        "high_risk_without_kit": 2,
        # issue 15 (tests/reports/test_prevention_counts.py): none in this seed
        "overdose_events": 0,
        "overdose_deaths": 0,
        "referrals_attended": 0,
        "referrals_started_treatment": 0,
        "follow_ups_due": 0,  # issue 15 item 2 (tests/reports/test_follow_ups.py)
        "follow_ups_in_window": 0,
    }


def test_kit_tables_match_hand_counts(seeded: Store) -> None:
    """Kits split by product, recipient, site, supply, repeat reason and training."""
    counts = local_counts(seeded.conn, *JANUARY)
    assert rows(counts, "kits_by_product") == {
        "nyxoid_1_8mg_nasal": 3,
        "prenoxad_2mg_syringe": 1,
    }
    assert rows(counts, "kits_by_recipient") == {
        "person_at_risk": 2,
        "family_friend": 1,
        "carer": 1,
    }
    assert rows(counts, "kits_by_site") == {"outreach_van": 2, "pharmacy": 2}
    assert rows(counts, "kits_by_supply") == {"repeat": 3, "first": 1}
    assert rows(counts, "repeat_kits_by_reason") == {
        "used_on_other": 1,
        "used_on_self": 1,
        "lost": 1,
    }
    assert rows(counts, "kits_by_training") == {
        "full": 1,
        "brief": 1,
        "declined": 1,
        "refresher": 1,
    }


def test_contact_and_use_tables_match_hand_counts(seeded: Store) -> None:
    """Uses by outcome, contacts by setting, referrals by destination, at-risk by area."""
    counts = local_counts(seeded.conn, *JANUARY)
    assert rows(counts, "naloxone_use_by_outcome") == {"survived": 1, "died": 1}
    assert rows(counts, "naloxone_use_by_ambulance") == {"yes": 1, "unknown": 1}
    assert rows(counts, "contacts_by_setting") == {"street": 4, "hostel": 1, "pharmacy": 1}
    assert rows(counts, "referrals_by_destination") == {
        "drug_treatment": 1,
        "gp": 1,
        "housing": 1,
    }
    assert rows(counts, "high_risk_without_kit_by_area") == {
        ("LS1", "very_high"): 1,
        ("LS2", "very_high"): 1,
    }


def test_one_site_only(seeded: Store) -> None:
    """Choosing a site keeps only that site's records (the kit check still spans all sites)."""
    counts = local_counts(seeded.conn, *JANUARY, site="pharmacy")
    assert counts.headline("kits") == 2
    assert counts.headline("contacts") == 1
    assert counts.headline("people_reached") == 0
    assert counts.headline("naloxone_uses") == 1
    assert rows(counts, "high_risk_without_kit_by_area") == {("LS2", "very_high"): 1}


def test_a_kit_in_the_period_takes_a_person_off_the_at_risk_list(seeded: Store) -> None:
    """Person A gets a kit in January (anywhere): LS1 drops off the at-risk table."""
    from tests.reports.conftest import CODE_A, _kit

    seeded.add_new(_kit("2026-01-20", site="pharmacy", client_code=CODE_A))
    counts = local_counts(seeded.conn, *JANUARY)
    assert rows(counts, "high_risk_without_kit_by_area") == {("LS2", "very_high"): 1}


@pytest.mark.parametrize("site", [None, "outreach_van"])
def test_coded_fact_rows_give_the_rollups_set(seeded: Store, site: str | None) -> None:
    """The coded fact rows (layout "coded") agree with the roll-up the laptop reads; the hub's
    layouts are compared with the laptop in test_commissioner_hub.py."""
    rollup = local_counts(seeded.conn, *JANUARY, site=site)
    coded = commissioner_counts(store_runner(seeded.conn), *JANUARY, site=site, layout="coded")
    assert coded == rollup


def test_empty_period_is_all_zero(seeded: Store) -> None:
    """A month with no records gives zero headlines and empty tables, not errors."""
    import datetime as dt

    counts = local_counts(seeded.conn, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert all(h.value == 0 for h in counts.headlines)
    assert all(not t.rows for t in counts.tables)
