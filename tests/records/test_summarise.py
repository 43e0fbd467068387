"""The one rule from a client code's records to its service summary (records/summarise.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from outreach.records import Contact, KitIssue, NaloxoneUse, Record, Referral, Void
from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.records.summarise import last_active, summarise, visible_to

CODE = "KX7F2"
TODAY = dt.date(2026, 12, 1)


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day + "T10:00:00+00:00")


def _id() -> str:
    return str(uuid.uuid4())


def contact(day: str, code: str = CODE, **fields: Any) -> Contact:
    base: dict[str, Any] = {"site": "outreach_van", "area": "LS6", "setting": "street"}
    return Contact(
        id=_id(), occurred_at=_at(day), recorded_by="a", client_code=code, **{**base, **fields}
    )


def kit(day: str, expiry: str, code: str = CODE, **fields: Any) -> KitIssue:
    base: dict[str, Any] = {
        "site": "outreach_van",
        "product": "nyxoid_1_8mg_nasal",
        "batch": "AB12",
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "full",
    }
    return KitIssue(
        id=_id(),
        occurred_at=_at(day),
        recorded_by="a",
        expiry=dt.date.fromisoformat(expiry),
        client_code=code,
        **{**base, **fields},
    )


def use(day: str, resupply: KitIssue) -> NaloxoneUse:
    return NaloxoneUse(
        id=_id(),
        occurred_at=_at(day),
        recorded_by="a",
        site="pharmacy",
        occurred_on=dt.date.fromisoformat(day) - dt.timedelta(days=1),
        location_type="street",
        administered_by="peer",
        product="nyxoid_1_8mg_nasal",
        kit_issue_id=resupply.id,
    )


def void(target: Record, day: str = "2026-11-30") -> Void:
    return Void(id=_id(), occurred_at=_at(day), recorded_by="a", target=target.id, reason="error")


def test_a_worked_history() -> None:
    """Worked by hand: three contacts (one over a year ago), two kits, one use at the resupply."""
    old = contact(
        "2025-09-01",
        risk_factors=("prison_release_2w", "homeless"),
        referrals=(Referral("drug_service", "R-AAAA-BBBB"),),
    )
    mid = contact(
        "2026-09-20",
        area="LS7",
        risk_factors=("previous_overdose",),
        referrals=(Referral("housing", "R-CCCC-DDDD"),),
    )
    last = contact("2026-11-12", area="LS2", injecting="current", risk_factors=("using_alone",))
    first_kit = kit("2026-03-01", "2027-01-31")
    second_kit = kit("2026-10-03", "2028-03-31", supply="repeat", resupply_reason="used")
    reported = use("2026-10-03", second_kit)
    summary = summarise(CODE, [mid, last, old, second_kit, first_kit, reported], TODAY)
    assert summary == ClientSummary(
        client_code=CODE,
        first_seen=dt.date(2025, 9, 1),
        contacts_total=3,
        contacts_12m=2,  # 2025-09-01 is more than 365 days before 2026-12-01
        last_contact=dt.date(2026, 11, 12),
        last_contact_area="LS2",
        kits_total=2,
        last_kit=dt.date(2026, 10, 3),
        last_kit_product="nyxoid_1_8mg_nasal",
        last_kit_expiry=dt.date(2028, 3, 31),
        held_kit_expiries=(dt.date(2028, 3, 31),),  # the first kit was used
        risk_level="high",  # injecting (current) 2 + using alone 2 = 4: high
        risk_reasons=("injecting", "using_alone"),
        sticky=(
            StickyFactor("previous_overdose", dt.date(2026, 9, 20)),
            StickyFactor("prison_release_2w", dt.date(2025, 9, 1)),
        ),
        last_naloxone_use=dt.date(2026, 10, 2),
        open_referrals=("R-CCCC-DDDD",),  # the 2025 referral is over 12 months old
    )


def test_voids_and_corrections_are_applied() -> None:
    """A voided contact stops counting; a correction replaces its target, under its own code."""
    kept = contact("2026-11-01", risk_factors=("lost_tolerance",))
    voided = contact("2026-11-20", risk_factors=("previous_overdose",))
    wrong = kit("2026-11-02", "2027-06-30")
    corrected = kit("2026-11-02", "2027-07-31", supersedes=wrong.id)
    moved = contact("2026-11-03")
    moved_away = contact("2026-11-03", code="ZZ999", supersedes=moved.id)
    records = [kept, voided, void(voided), wrong, corrected, moved, moved_away]
    summary = summarise(CODE, records, TODAY)
    assert summary is not None
    assert (summary.contacts_total, summary.last_contact) == (1, dt.date(2026, 11, 1))
    assert summary.sticky == (StickyFactor("lost_tolerance", dt.date(2026, 11, 1)),)
    assert (summary.risk_level, summary.risk_reasons) == ("high", ("lost_tolerance",))
    assert (summary.kits_total, summary.held_kit_expiries) == (1, (dt.date(2027, 7, 31),))
    other = summarise("ZZ999", records, TODAY)
    assert other is not None and other.contacts_total == 1


def test_nothing_left_is_none() -> None:
    only = contact("2026-11-01")
    assert summarise(CODE, [only, void(only)], TODAY) is None
    assert summarise(CODE, [], TODAY) is None


def test_a_use_takes_the_oldest_kit_held_before_its_resupply() -> None:
    """Three kits; a use reported with the third uses up the first; a use reported with the
    first (nothing held before it) uses up nothing; expired kits stay listed, not held."""
    k1 = kit("2025-01-10", "2026-06-30")
    k2 = kit("2025-06-10", "2027-06-30")
    k3 = kit("2026-11-01", "2029-01-31", supply="repeat", resupply_reason="used")
    summary = summarise(CODE, [k3, k1, k2, use("2026-11-01", k3), use("2025-01-10", k1)], TODAY)
    assert summary is not None
    assert summary.held_kit_expiries == (dt.date(2027, 6, 30), dt.date(2029, 1, 31))
    assert summary.kits_held(TODAY) == 2
    assert summary.kits_held(dt.date(2027, 7, 1)) == 1
    assert summary.last_naloxone_use == dt.date(2026, 10, 31)


def test_a_use_of_another_clients_kit_or_a_voided_one_is_not_counted() -> None:
    mine = kit("2026-01-01", "2028-01-31")
    theirs = kit("2026-02-01", "2028-02-28", code="ZZ999")
    gone = kit("2026-03-01", "2028-03-31")
    records = [mine, theirs, gone, void(gone), use("2026-02-01", theirs), use("2026-03-01", gone)]
    summary = summarise(CODE, records, TODAY)
    assert summary is not None
    assert summary.held_kit_expiries == (dt.date(2028, 1, 31),)
    assert summary.last_naloxone_use is None


def test_a_factor_code_the_hub_added_counts_as_the_facts_count_it() -> None:
    """Weight 1 (`risk.assess_recorded`), as in the counts' risk level: one level per contact."""
    summary = summarise(CODE, [contact("2026-11-01", risk_factors=("hub_added_code",))], TODAY)
    assert summary is not None
    assert (summary.risk_level, summary.risk_reasons, summary.sticky) == (
        "low",
        ("hub_added_code",),
        (),
    )
    both = summarise(
        CODE, [contact("2026-11-01", risk_factors=("hub_added_code", "homeless"))], TODAY
    )
    assert both is not None and both.risk_level == "raised"


def test_what_a_pharmacy_sees_and_when_a_code_was_last_active() -> None:
    records = [
        contact("2026-11-12", risk_factors=("previous_overdose",)),
        kit("2026-10-03", "2028-03-31"),
    ]
    summary = summarise(CODE, records, TODAY)
    assert summary is not None
    assert last_active(summary) == dt.date(2026, 11, 12)
    assert visible_to(summary, "worker") == summary
    pharmacy = visible_to(summary, "pharmacy")
    assert pharmacy is not None
    assert (pharmacy.risk_level, pharmacy.sticky, pharmacy.contacts_total) == (None, (), 0)
    assert pharmacy.last_kit == dt.date(2026, 10, 3)
    assert visible_to(summary, "nobody") is None


_DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2026, 11, 30)).map(dt.date.isoformat)


@st.composite
def _histories(draw: st.DrawFn) -> list[Record]:
    records: list[Record] = []
    for _ in range(draw(st.integers(0, 8))):
        day = draw(_DAYS)
        if draw(st.booleans()):
            factors = draw(
                st.lists(st.sampled_from(["previous_overdose", "homeless"]), unique=True)
            )
            records.append(contact(day, risk_factors=tuple(factors)))
        else:
            issued = kit(day, "2030-01-31")
            records.append(issued)
            if draw(st.booleans()):
                records.append(use(day, issued))
    for target in draw(st.lists(st.sampled_from(records), unique_by=id)) if records else []:
        if not isinstance(target, Void):
            records.append(void(target))
    return records


@given(_histories(), st.randoms())
def test_order_does_not_matter_and_voided_records_count_as_absent(
    records: list[Record], rng: Any
) -> None:
    shuffled = list(records)
    rng.shuffle(shuffled)
    summary = summarise(CODE, records, TODAY)
    assert summarise(CODE, shuffled, TODAY) == summary
    voided = {r.target for r in records if isinstance(r, Void)}
    kept = [r for r in records if r.id not in voided and not isinstance(r, Void)]
    assert summarise(CODE, kept, TODAY) == summary
    live = [r for r in kept if not isinstance(r, NaloxoneUse)]
    if summary is None:
        assert not live
    else:
        assert summary.contacts_total + summary.kits_total == len(live)
        assert len(summary.held_kit_expiries) <= summary.kits_total


def test_a_use_follows_the_correction_of_its_kit() -> None:
    held = kit("2026-01-01", "2028-01-31")
    wrong = kit("2026-06-01", "2028-06-30", supply="repeat", resupply_reason="used")
    right = kit(
        "2026-06-01", "2028-07-31", supply="repeat", resupply_reason="used", supersedes=wrong.id
    )
    summary = summarise(CODE, [held, wrong, right, use("2026-06-01", wrong)], TODAY)
    assert summary is not None
    assert summary.held_kit_expiries == (dt.date(2028, 7, 31),)
    assert summary.last_naloxone_use == dt.date(2026, 5, 31)
