"""The client panel's merge of the hub's summary with this device's newer records (hand-worked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from outreach.records import Contact, KitIssue, NaloxoneUse
from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.records.service_history import (
    CarriedFactor,
    ServiceHistory,
    carried_factors,
    merge_history,
    supply_suggestion,
)
from outreach.records.validation import build_record
from tests.samples import CONTACT, KIT, NALOXONE_USE

CODE = "S6G9H6E4G19"
TODAY = dt.date(2026, 12, 2)
D = dt.date


def at(day: dt.date, hour: int = 10) -> str:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC).isoformat()


def contact(day: dt.date, **fields: Any) -> Contact:
    data = {**CONTACT, "client_code": CODE, "occurred_at": at(day), **fields}
    record = build_record(data, recorded_by="a")
    assert isinstance(record, Contact)
    return record


def kit(day: dt.date, **fields: Any) -> KitIssue:
    data = {**KIT, "client_code": CODE, "occurred_at": at(day), **fields}
    record = build_record(data, recorded_by="a", now=dt.datetime(2026, 12, 2, 23, tzinfo=dt.UTC))
    assert isinstance(record, KitIssue)
    return record


def use(day: dt.date, reported: dt.date, kit_issue_id: str | None = None) -> NaloxoneUse:
    data = {
        **NALOXONE_USE,
        "occurred_on": day.isoformat(),
        "occurred_at": at(reported, 11),
        "kit_issue_id": kit_issue_id,
    }
    record = build_record(data, recorded_by="a", now=dt.datetime(2026, 12, 2, 23, tzinfo=dt.UTC))
    assert isinstance(record, NaloxoneUse)
    return record


SUMMARY = ClientSummary(
    client_code=CODE,
    first_seen=D(2025, 6, 1),
    contacts_total=4,
    contacts_12m=3,
    last_contact=D(2026, 11, 12),
    last_contact_area="LS6",
    kits_total=2,
    last_kit=D(2026, 10, 3),
    last_kit_product="nyxoid_1_8mg_nasal",
    last_kit_expiry=D(2028, 3, 31),
    held_kit_expiries=(D(2027, 1, 31), D(2028, 3, 31)),
    risk_level="high",
    risk_reasons=("previous_overdose",),
    sticky=(
        StickyFactor("previous_overdose", D(2026, 9, 20)),
        StickyFactor("prison_release_2w", D(2026, 11, 12)),
    ),
    last_naloxone_use=D(2026, 5, 1),
    open_referrals=("R-AAAA-BBBB",),
)
AS_OF = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def test_summary_alone_is_shown_as_the_hub_has_it() -> None:
    history = merge_history(CODE, SUMMARY, [], TODAY, as_of=AS_OF)
    assert history.from_service and history.as_of == AS_OF and history.unsynced == 0
    assert (history.contacts_total, history.contacts_12m, history.kits_total) == (4, 3, 2)
    assert history.last_contact == D(2026, 11, 12) and history.last_contact_area == "LS6"
    assert history.kits_held(TODAY) == 2 and history.kits_held(D(2027, 2, 1)) == 1
    assert history.risk_level == "high" and history.risk_reasons == ("previous_overdose",)
    assert history.sticky_date("previous_overdose") == D(2026, 9, 20)
    assert supply_suggestion(history) == "repeat"


def test_own_contact_kit_and_use_fold_into_the_summary() -> None:
    """A contact, and a kit with a use report, made here on 1 Dec and not yet synced."""
    seen = contact(
        D(2026, 12, 1),
        area="LS7",
        risk_factors=["using_alone"],
        substances=["heroin", "benzodiazepines"],
        injecting="current",
    )
    new_kit = kit(D(2026, 12, 1), product="prenoxad_2mg_syringe", batch="CD34", expiry="2029-01-31")
    used = use(D(2026, 11, 28), D(2026, 12, 1), kit_issue_id=new_kit.id)
    history = merge_history(CODE, SUMMARY, [seen, new_kit, used], TODAY, as_of=AS_OF)
    assert history.unsynced == 3
    assert (history.contacts_total, history.contacts_12m) == (5, 4)
    assert (history.last_contact, history.last_contact_area) == (D(2026, 12, 1), "LS7")
    # using alone 2 + polysubstance 3 + injecting 2 = 7: HIGH; heaviest first, table order within.
    assert history.risk_level == "high"
    assert history.risk_reasons == ("polysubstance", "injecting", "using_alone")
    assert history.kits_total == 3
    assert (history.last_kit, history.last_kit_product, history.last_kit_expiry) == (
        D(2026, 12, 1),
        "prenoxad_2mg_syringe",
        D(2029, 1, 31),
    )
    # The use takes out the first held kit to expire (Jan 2027), then the new one comes in.
    assert history.held_kit_expiries == (D(2028, 3, 31), D(2029, 1, 31))
    assert history.last_naloxone_use == D(2026, 11, 28)
    assert history.first_seen == D(2025, 6, 1)
    assert history.sticky == SUMMARY.sticky  # nothing sticky reported here
    assert history.open_referrals == ("R-AAAA-BBBB",)


def test_a_use_reported_with_a_kit_expiring_first_takes_out_an_older_kit() -> None:
    """The kit handed out with the use report is held; the one used was an earlier one."""
    new_kit = kit(D(2026, 12, 1), expiry="2026-12-31")
    used = use(D(2026, 11, 30), D(2026, 12, 1), kit_issue_id=new_kit.id)
    history = merge_history(CODE, SUMMARY, [new_kit, used], TODAY, as_of=AS_OF)
    assert history.held_kit_expiries == (D(2026, 12, 31), D(2028, 3, 31))


def test_sticky_factors_keep_the_later_report_and_a_later_contact_sets_the_risk() -> None:
    reported = contact(
        D(2026, 11, 30),
        risk_factors=["previous_overdose", "hospital_discharge_4w"],
        referrals=[{"to": "gp", "referral_code": "R-CCCC-DDDD"}],
    )
    history = merge_history(CODE, SUMMARY, [reported], TODAY, as_of=AS_OF)
    assert history.sticky == (
        StickyFactor("previous_overdose", D(2026, 11, 30)),
        StickyFactor("prison_release_2w", D(2026, 11, 12)),
        StickyFactor("hospital_discharge_4w", D(2026, 11, 30)),
    )
    assert history.risk_level == "very_high"  # 4 + 4 = 8
    assert history.risk_reasons == ("hospital_discharge_4w", "previous_overdose")
    assert history.open_referrals == ("R-AAAA-BBBB", "R-CCCC-DDDD")


def test_an_own_contact_older_than_the_hubs_latest_counts_but_leaves_the_latest() -> None:
    """Recorded here in May 2025 (a laptop away for a long time): first seen moves back, the
    latest contact, its area and the risk level stay the hub's; 12-month count unchanged."""
    old = contact(D(2025, 5, 20), area="LS1", risk_factors=["homeless"])
    history = merge_history(CODE, SUMMARY, [old], TODAY, as_of=AS_OF)
    assert history.first_seen == D(2025, 5, 20)
    assert (history.contacts_total, history.contacts_12m) == (5, 3)
    assert (history.last_contact, history.last_contact_area) == (D(2026, 11, 12), "LS6")
    assert history.risk_level == "high"


def test_no_summary_and_no_records_is_a_new_code() -> None:
    history = merge_history(CODE, None, [], TODAY, as_of=AS_OF)
    assert history.is_new and not history.from_service and history.as_of == AS_OF
    assert supply_suggestion(history) == "first" and supply_suggestion(None) == "first"
    assert carried_factors(history, TODAY) == ()


def test_own_records_alone_before_any_pull() -> None:
    first = contact(D(2026, 11, 20), risk_factors=["previous_overdose"])
    history = merge_history(CODE, None, [first], TODAY)
    assert not history.from_service and history.unsynced == 1 and not history.is_new
    assert history.as_of is None  # never pulled
    assert history.first_seen == D(2026, 11, 20) and history.contacts_total == 1
    assert history.risk_level == "high" and supply_suggestion(history) == "first"
    assert carried_factors(history, TODAY) == (
        CarriedFactor("previous_overdose", D(2026, 11, 20), None),
    )


def test_a_void_made_here_takes_a_counted_record_out() -> None:
    """The summary counts a kit (expires Jan 2027) and a contact in the last year that this
    device has voided since, the voids not yet synced."""
    voided_kit = kit(D(2026, 1, 10), expiry="2027-01-31")
    voided_contact = contact(D(2026, 3, 1))
    history = merge_history(
        CODE, SUMMARY, [], TODAY, as_of=AS_OF, retracted=[voided_kit, voided_contact]
    )
    assert (history.contacts_total, history.contacts_12m, history.kits_total) == (3, 2, 1)
    assert history.held_kit_expiries == (D(2028, 3, 31),)
    assert supply_suggestion(history) == "repeat"


def test_the_only_kit_voided_here_makes_the_next_a_first_supply() -> None:
    summary = ClientSummary(
        client_code=CODE,
        first_seen=D(2026, 11, 1),
        kits_total=1,
        last_kit=D(2026, 11, 1),
        held_kit_expiries=(D(2030, 5, 31),),
    )
    voided = kit(D(2026, 11, 1))
    history = merge_history(CODE, summary, [], TODAY, as_of=AS_OF, retracted=[voided])
    assert history.kits_total == 0 and history.held_kit_expiries == ()
    assert supply_suggestion(history) == "first"


def test_carried_factors_respect_their_windows() -> None:
    """Prison release reported 12 Nov: carried to 26 Nov (14 days) and no later; a previous
    overdose for good; hospital discharge and lost tolerance 28 days."""
    history = ServiceHistory(
        client_code=CODE,
        sticky=(
            StickyFactor("previous_overdose", D(2020, 1, 1)),
            StickyFactor("prison_release_2w", D(2026, 11, 12)),
            StickyFactor("hospital_discharge_4w", D(2026, 11, 1)),
            StickyFactor("lost_tolerance", D(2026, 10, 1)),
            StickyFactor("left_treatment", D(2026, 11, 20)),
        ),
    )
    on_26 = carried_factors(history, D(2026, 11, 26))
    assert on_26 == (
        CarriedFactor("previous_overdose", D(2020, 1, 1), None),
        CarriedFactor("prison_release_2w", D(2026, 11, 12), D(2026, 11, 26)),
        CarriedFactor("hospital_discharge_4w", D(2026, 11, 1), D(2026, 11, 29)),
        CarriedFactor("left_treatment", D(2026, 11, 20), D(2026, 12, 18)),
    )
    on_27 = [f.code for f in carried_factors(history, D(2026, 11, 27))]
    assert on_27 == ["previous_overdose", "hospital_discharge_4w", "left_treatment"]
    on_30 = [f.code for f in carried_factors(history, D(2026, 11, 30))]
    assert on_30 == ["previous_overdose", "left_treatment"]
    # Only the codes the form offers (a code the vocabulary does not have is not pre-ticked).
    offered = ("previous_overdose", "prison_release_2w", "hospital_discharge_4w")
    assert [f.code for f in carried_factors(history, D(2026, 11, 26), offered)] == [
        "previous_overdose",
        "prison_release_2w",
        "hospital_discharge_4w",
    ]
    assert carried_factors(None, TODAY) == ()


def test_merging_newer_records_into_the_hubs_summary_matches_summarising_them_all() -> None:
    """The hub's rule (`summarise`) over every record, against its summary of the older ones
    with the newer folded in: the same view (kits issued in expiry order, so the held kits agree
    whichever rule picks the used one)."""
    from outreach.records.summarise import summarise

    older = [
        contact(D(2025, 11, 1), risk_factors=["prison_release_2w"]),
        kit(D(2025, 11, 1), expiry="2027-01-31"),
        contact(D(2026, 9, 20), risk_factors=["previous_overdose"], area="LS7"),
    ]
    second_kit = kit(D(2026, 12, 1), expiry="2029-01-31")
    newer = [
        contact(
            D(2026, 12, 1),
            risk_factors=["using_alone", "previous_overdose"],
            referrals=[{"to": "gp", "referral_code": "R-CCCC-DDDD"}],
            injecting="current",
        ),
        second_kit,
        use(D(2026, 11, 30), D(2026, 12, 1), kit_issue_id=second_kit.id),
    ]
    hub_view = summarise(CODE, older, TODAY)
    whole = summarise(CODE, [*older, *newer], TODAY)
    assert hub_view is not None and whole is not None
    merged = merge_history(CODE, hub_view, newer, TODAY, as_of=AS_OF)
    for name in (
        "first_seen",
        "contacts_total",
        "contacts_12m",
        "last_contact",
        "last_contact_area",
        "kits_total",
        "last_kit",
        "last_kit_product",
        "last_kit_expiry",
        "held_kit_expiries",
        "risk_level",
        "risk_reasons",
        "sticky",
        "last_naloxone_use",
        "open_referrals",
    ):
        assert getattr(merged, name) == getattr(whole, name), name


FIELDS = (
    "first_seen",
    "contacts_total",
    "contacts_12m",
    "last_contact",
    "last_contact_area",
    "kits_total",
    "last_kit",
    "last_kit_product",
    "last_kit_expiry",
    "held_kit_expiries",
    "risk_level",
    "risk_reasons",
    "sticky",
    "last_naloxone_use",
    "open_referrals",
)


@st.composite
def _chronicles(draw: st.DrawFn) -> tuple[list[Contact | KitIssue | NaloxoneUse], int]:
    """A client's history in time order (kits expire in the order they are handed out, a use is
    reported with the kit after it) and a point that splits it into what the hub had summarised
    and what this device made since (never between a kit and its use)."""
    records: list[Contact | KitIssue | NaloxoneUse] = []
    splits = [0]
    day = D(2025, 1, 1)
    for _ in range(draw(st.integers(0, 9))):
        day += dt.timedelta(days=draw(st.integers(0, 60)))  # 9 steps stay before TODAY
        if draw(st.booleans()):
            factors = draw(
                st.lists(
                    st.sampled_from(["previous_overdose", "prison_release_2w", "using_alone"]),
                    unique=True,
                )
            )
            referrals = (
                [{"to": "gp", "referral_code": f"R-{len(records):04d}-AAAA"}]
                if draw(st.booleans())
                else []
            )
            area = draw(st.sampled_from(["LS6", "LS7", "NFA"]))
            records.append(contact(day, risk_factors=factors, referrals=referrals, area=area))
        else:
            expiry = (day + dt.timedelta(days=1000)).isoformat()
            handed = kit(day, expiry=expiry)
            records.append(handed)
            if draw(st.booleans()):
                records.append(use(day - dt.timedelta(days=1), day, kit_issue_id=handed.id))
        splits.append(len(records))
    return records, draw(st.sampled_from(splits))


@given(_chronicles())
def test_any_split_of_a_history_merges_to_the_hubs_summary_of_all_of_it(
    chronicle: tuple[list[Contact | KitIssue | NaloxoneUse], int],
) -> None:
    from outreach.records.summarise import summarise

    records, split = chronicle
    older, newer = records[:split], records[split:]
    hub_view = summarise(CODE, older, TODAY)
    whole = summarise(CODE, records, TODAY)
    merged = merge_history(CODE, hub_view, newer, TODAY, as_of=AS_OF)
    if whole is None:
        assert merged.is_new
        return
    for name in FIELDS:
        assert getattr(merged, name) == getattr(whole, name), name
