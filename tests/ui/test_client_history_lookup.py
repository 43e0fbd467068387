"""The client panel's look-up on a real encrypted store: which of this device's records the pulled
summary already reflects (a receipt received before the pull), and which are folded in."""

from __future__ import annotations

import datetime as dt

from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.store.store import Store
from outreach.store.summaries import SummaryChange, put_summaries
from outreach.sync import state
from outreach.ui.client_history import load_client_history, reflected_through
from tests.samples import CONTACT, KIT, NALOXONE_USE

CODE = "S6G9H6E4G19"
HUB = "c" * 64
TODAY = dt.date.today()
PULLED = dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def receipt(store: Store, received_at: dt.datetime, acked_through: int) -> None:
    """As `outbox.apply_receipt` leaves a verified receipt (its signature is the sync tests')."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO receipts (batch_id, received_at, acked_through, accepted, quarantined, "
            "body) VALUES (?, ?, ?, ?, 0, x'')",
            (f"b{acked_through}", received_at.isoformat(timespec="seconds"), acked_through, 1),
        )
        store.set_meta(state.ACKED, str(max(acked_through, state.acked_through(store))))


def pull(store: Store, summary: ClientSummary | None, through: int) -> None:
    changes = [SummaryChange(CODE, through, summary)]
    put_summaries(store, changes, hub=HUB, after=through - 1, through=through, as_of=PULLED)


def summary_of_first_two() -> ClientSummary:
    """What the hub made of the first contact and kit (hand-written as the hub would)."""
    return ClientSummary(
        client_code=CODE,
        first_seen=TODAY,
        contacts_total=1,
        contacts_12m=1,
        last_contact=TODAY,
        last_contact_area="LS6",
        kits_total=1,
        last_kit=TODAY,
        last_kit_product="nyxoid_1_8mg_nasal",
        last_kit_expiry=dt.date(2030, 5, 31),
        held_kit_expiries=(dt.date(2030, 5, 31),),
        risk_level="high",
        risk_reasons=("previous_overdose",),
        sticky=(StickyFactor("previous_overdose", TODAY),),
    )


def test_before_any_pull_every_own_record_counts(store: Store) -> None:
    store.add_new({**CONTACT, "client_code": CODE, "risk_factors": ["previous_overdose"]})
    store.add_new({**KIT, "client_code": CODE})
    history = load_client_history(store, CODE, TODAY)
    assert history is not None and not history.from_service and history.unsynced == 2
    assert (history.contacts_total, history.kits_total) == (1, 1)
    assert history.sticky_date("previous_overdose") == TODAY
    assert reflected_through(store, None) == 0


def test_records_a_receipt_covered_before_the_pull_are_not_counted_twice(store: Store) -> None:
    store.add_new({**CONTACT, "client_code": CODE, "risk_factors": ["previous_overdose"]})  # 1
    store.add_new({**KIT, "client_code": CODE})  # seq 2 (its stock movement has none)
    acked = store.last_seq()
    receipt(store, PULLED - dt.timedelta(seconds=3), acked)
    pull(store, summary_of_first_two(), 1)
    assert reflected_through(store, PULLED) == acked
    store.add_new({**CONTACT, "client_code": CODE, "area": "LS7"})  # after the pull
    history = load_client_history(store, CODE, TODAY)
    assert history is not None and history.from_service and history.unsynced == 1
    assert (history.contacts_total, history.kits_total) == (2, 1)
    assert history.last_contact_area == "LS7" and history.as_of == PULLED


def test_a_receipt_after_the_pull_leaves_its_records_folded_in(store: Store) -> None:
    """Synced after the summaries were pulled (say the pull failed): not in them yet."""
    store.add_new({**CONTACT, "client_code": CODE})
    pull(store, None, 1)
    receipt(store, PULLED + dt.timedelta(minutes=5), store.last_seq())
    assert reflected_through(store, PULLED) == 0
    history = load_client_history(store, CODE, TODAY)
    assert history is not None and history.contacts_total == 1 and history.unsynced == 1


def test_a_void_made_after_the_pull_takes_the_kit_out(store: Store) -> None:
    store.add_new({**CONTACT, "client_code": CODE, "risk_factors": ["previous_overdose"]})
    kit, _ = store.add_new({**KIT, "client_code": CODE})
    receipt(store, PULLED - dt.timedelta(seconds=3), store.last_seq())
    pull(store, summary_of_first_two(), 1)
    store.void(kit.id, "entered_in_error")
    history = load_client_history(store, CODE, TODAY)
    assert history is not None and history.kits_total == 0 and history.held_kit_expiries == ()
    assert history.contacts_total == 1 and history.unsynced == 0


def test_a_use_reported_with_a_kit_here_is_folded_with_it(store: Store) -> None:
    from outreach.store.kit_issue import save_kit

    use = {k: v for k, v in NALOXONE_USE.items() if k != "occurred_on"}
    use["occurred_on"] = TODAY.isoformat()
    kit = {**KIT, "client_code": CODE, "supply": "repeat", "resupply_reason": "used_on_other"}
    save_kit(store, kit, use, allow_repeat_serial=False)
    history = load_client_history(store, CODE, TODAY)
    assert history is not None and history.last_naloxone_use == TODAY
    assert history.kits_total == 1 and history.unsynced == 2


def test_a_pharmacy_look_up_reads_kits_only(data_dir) -> None:  # type: ignore[no-untyped-def]
    from outreach.store.session import create_store
    from tests.samples import FAST_KDF, PASSPHRASE

    store, _ = create_store(data_dir, "pat", "pharmacy", PASSPHRASE, kdf=FAST_KDF)
    try:
        store.add_new({**KIT, "site": "pharmacy", "client_code": CODE})
        pull(store, summary_of_first_two(), 1)
        history = load_client_history(store, CODE, TODAY)
        assert history is not None and history.kits_total == 2
        assert history.contacts_total == 0 and history.sticky == () and history.risk_level is None
    finally:
        store.close()
