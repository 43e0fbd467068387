"""The device's copy of the service-wide client summaries (outreach.store.summaries)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest

from outreach.errors import NotPermitted, SyncError
from outreach.records.client_summary import ClientSummary, StickyFactor, SummaryHead
from outreach.store.session import unlock_store
from outreach.store.store import Store
from outreach.store.summaries import (
    SummaryChange,
    put_summaries,
    service_summary,
    summaries_as_of,
    summaries_cursor,
    summary_codes_matching,
    summary_count,
)
from outreach.sync.wipe import store_files, wipe_store
from tests.samples import PASSPHRASE
from tests.store.test_roles import USERS, make_device

HUB = "a" * 64


def _summary(code: str, day: dt.date = dt.date(2026, 11, 12)) -> ClientSummary:
    return ClientSummary(
        client_code=code,
        first_seen=dt.date(2026, 1, 5),
        contacts_total=4,
        contacts_12m=3,
        last_contact=day,
        last_contact_area="LS6",
        kits_total=1,
        last_kit=dt.date(2026, 10, 3),
        last_kit_product="nyxoid_1_8mg_nasal",
        last_kit_expiry=dt.date(2028, 3, 31),
        held_kit_expiries=(dt.date(2028, 3, 31),),
        risk_level="high",
        risk_reasons=("previous_overdose",),
        sticky=(StickyFactor("previous_overdose", dt.date(2026, 9, 20)),),
        open_referrals=("R-ABCD-EFGH",),
    )


def _rows(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute("SELECT * FROM summaries ORDER BY client_code").fetchall()


def test_a_page_is_stored_with_its_cursor_and_read_back(store: Store) -> None:
    changes = [SummaryChange("KX7F2", 3, _summary("KX7F2")), SummaryChange("AB123", 5, None)]
    assert put_summaries(store, changes, hub=HUB, after=0, through=5) == 1
    assert service_summary(store, "KX7F2") == _summary("KX7F2")
    assert service_summary(store, "AB123") is None
    assert summaries_cursor(store) == 5
    as_of = summaries_as_of(store)
    assert as_of is not None and abs(dt.datetime.now(dt.UTC) - as_of) < dt.timedelta(minutes=1)


def test_reapplying_a_page_changes_nothing(store: Store) -> None:
    page = [SummaryChange("KX7F2", 3, _summary("KX7F2"))]
    put_summaries(store, page, hub=HUB, after=0, through=3)
    before = _rows(store)
    assert put_summaries(store, page, hub=HUB, after=0, through=3) == 0
    assert _rows(store) == before and summaries_cursor(store) == 3


def test_an_older_page_a_gap_or_another_hub_is_refused_and_changes_nothing(store: Store) -> None:
    put_summaries(
        store, [SummaryChange("KX7F2", 7, _summary("KX7F2"))], hub=HUB, after=0, through=7
    )
    before, cursor = _rows(store), summaries_cursor(store)
    older = [SummaryChange("KX7F2", 2, _summary("KX7F2", dt.date(2026, 2, 1)))]
    with pytest.raises(SyncError, match="older than the 7 already held"):
        put_summaries(store, older, hub=HUB, after=0, through=2)
    with pytest.raises(SyncError, match="starts after change 9"):
        put_summaries(
            store, [SummaryChange("ZZ999", 10, _summary("ZZ999"))], hub=HUB, after=9, through=10
        )
    with pytest.raises(SyncError, match="another hub"):
        put_summaries(
            store,
            [SummaryChange("ZZ999", 10, _summary("ZZ999"))],
            hub="b" * 64,
            after=7,
            through=10,
        )
    with pytest.raises(SyncError, match="outside its own range"):
        put_summaries(
            store, [SummaryChange("ZZ999", 30, _summary("ZZ999"))], hub=HUB, after=7, through=10
        )
    assert _rows(store) == before and summaries_cursor(store) == cursor


def test_a_row_is_never_replaced_by_an_older_change(store: Store) -> None:
    put_summaries(
        store, [SummaryChange("KX7F2", 7, _summary("KX7F2"))], hub=HUB, after=0, through=7
    )
    stale = SummaryChange("KX7F2", 4, _summary("KX7F2", dt.date(2026, 2, 1)))
    put_summaries(store, [stale], hub=HUB, after=3, through=8)
    assert service_summary(store, "KX7F2") == _summary("KX7F2")
    assert summaries_cursor(store) == 8


def test_a_new_hub_starting_from_nothing_replaces_the_old_hubs_summaries(store: Store) -> None:
    put_summaries(
        store, [SummaryChange("KX7F2", 7, _summary("KX7F2"))], hub=HUB, after=0, through=7
    )
    put_summaries(
        store, [SummaryChange("AB123", 1, _summary("AB123"))], hub="b" * 64, after=0, through=1
    )
    assert summary_codes_matching(store, "") == ["AB123"]


def test_rows_out_of_scope_are_dropped(store: Store) -> None:
    changes = [
        SummaryChange(
            "OLD01", 1, ClientSummary(client_code="OLD01", first_seen=dt.date(2024, 1, 1))
        ),
        SummaryChange("NEW01", 2, _summary("NEW01")),
    ]
    put_summaries(store, changes, hub=HUB, after=0, through=2, active_since=dt.date(2025, 6, 1))
    assert summary_codes_matching(store, "") == ["NEW01"]


def test_prefix_search_reads_codes_in_order_up_to_the_limit(store: Store) -> None:
    codes = ["KX7F2", "KX7A1", "KY000", "AB123", "KX8ZZ"]
    changes = [SummaryChange(code, i + 1, _summary(code)) for i, code in enumerate(codes)]
    put_summaries(store, changes, hub=HUB, after=0, through=len(codes))
    assert summary_codes_matching(store, "KX") == ["KX7A1", "KX7F2", "KX8ZZ"]
    assert summary_codes_matching(store, "KX", limit=2) == ["KX7A1", "KX7F2"]
    assert summary_codes_matching(store, "Q") == []
    assert summary_count(store) == 5


def test_a_pharmacy_sees_kits_but_not_what_contacts_said(tmp_path: Path) -> None:
    device = make_device(tmp_path / "device")
    with unlock_store(device, USERS["coordinator"], PASSPHRASE) as store:
        put_summaries(
            store, [SummaryChange("KX7F2", 1, _summary("KX7F2"))], hub=HUB, after=0, through=1
        )
    with unlock_store(device, USERS["pharmacy"], PASSPHRASE) as store:
        seen = service_summary(store, "KX7F2")
        assert seen is not None
        assert (seen.last_kit, seen.kits_held(dt.date(2026, 12, 1))) == (dt.date(2026, 10, 3), 1)
        assert (seen.risk_level, seen.sticky, seen.contacts_total) == (None, (), 0)
    with unlock_store(device, USERS["worker"], PASSPHRASE) as store:
        assert service_summary(store, "KX7F2") == _summary("KX7F2")


def test_reading_needs_a_read_grant(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.role = "nobody"
    from outreach.store.guard import RoleGuard

    store.guard = RoleGuard("nobody")
    with pytest.raises(NotPermitted):
        service_summary(store, "KX7F2")


def test_revocation_wipe_destroys_the_summaries(store: Store) -> None:
    put_summaries(
        store, [SummaryChange("KX7F2", 1, _summary("KX7F2"))], hub=HUB, after=0, through=1
    )
    assert store.path is not None
    data_dir = store.path.parent
    wipe_store(store)
    assert not [f for f in store_files(data_dir) if f.exists()]
    leftover = b"".join(f.read_bytes() for f in data_dir.rglob("*") if f.is_file())
    assert b"KX7F2" not in leftover


def test_a_bare_connection_reads_below_the_role_line(tmp_path: Path) -> None:
    """The panel's worker thread may hold only the connection: it reads every field."""
    device = make_device(tmp_path / "device")
    with unlock_store(device, USERS["pharmacy"], PASSPHRASE) as store:
        put_summaries(
            store, [SummaryChange("KX7F2", 1, _summary("KX7F2"))], hub=HUB, after=0, through=1
        )
        assert service_summary(store.conn, "KX7F2") == _summary("KX7F2")
        assert summary_codes_matching(store.conn, "KX") == ["KX7F2"]
        seen = service_summary(store, "KX7F2")
        assert seen is not None and seen.risk_level is None


def test_a_pulled_summary_is_stored_from_its_head_and_an_unreadable_one_is_not_shown(
    store: Store,
) -> None:
    """A pull decodes only the head (code, days) of a hub-signed summary and stores its bytes;
    a body the full decoder then refuses is not shown (no traceback), the others are."""
    good = msgspec.msgpack.encode(_summary("KX7F2"))
    broken = msgspec.msgpack.encode(
        {"client_code": "AB123", "first_seen": "2026-01-05", "risk_reasons": 7}
    )
    head = msgspec.msgpack.Decoder(SummaryHead).decode
    changes = [
        SummaryChange("KX7F2", 3, head(good), good),
        SummaryChange("AB123", 4, head(broken), broken),
    ]
    assert put_summaries(store, changes, hub=HUB, after=0, through=4) == 2
    assert service_summary(store, "KX7F2") == _summary("KX7F2")
    assert service_summary(store, "AB123") is None
    active = store.conn.execute("SELECT last_active FROM summaries ORDER BY client_code")
    assert [row[0] for row in active] == ["2026-01-05", "2026-11-12"]
    with pytest.raises(ValueError, match="head"):
        put_summaries(store, [SummaryChange("KX7F2", 5, head(good))], hub=HUB, after=4, through=5)
