"""The UI's view of the sync core works before and after sync lands."""

from __future__ import annotations

from outreach.store.store import Store
from outreach.ui import sync_api


def test_service_key_falls_back_to_a_stable_local_key(store: Store) -> None:
    """Without hub reference data a local service key is made once and then reused."""
    first = sync_api.service_key(store)
    assert len(first) >= 16
    assert sync_api.service_key(store) == first


def test_status_reports_pending_records(store: Store) -> None:
    """Status always answers; records waiting are counted even before any sync."""
    store.add_new({"type": "contact", "site": "outreach_van", "area": "NFA", "setting": "street"})
    info = sync_api.status(store)
    assert info.pending >= 1
    assert info.available == sync_api.available()
    if not info.available:
        assert not info.enrolled and info.last_sync is None
