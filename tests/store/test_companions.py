"""The store's write hook: the stock ledger joins `Store.add` by registration, not by import."""

from __future__ import annotations

import pytest

from outreach.records.validation import build_record
from outreach.store import companions
from outreach.store.store import Store
from tests.samples import CONTACT


def test_a_store_with_no_companion_writer_refuses_to_write(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forgetting to register the ledger is a loud error, and nothing is saved."""
    monkeypatch.setattr(companions, "_writers", [])
    before = store.record_count()
    with pytest.raises(RuntimeError, match="no companion writer"):
        store.add([build_record(CONTACT, recorded_by=store.user)])
    assert store.record_count() == before


def test_registered_writers_add_records_in_the_same_write(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a registered writer returns is saved with the records, in one transaction."""
    extra = build_record(CONTACT, recorded_by=store.user)
    monkeypatch.setattr(companions, "_writers", list(companions._writers))
    companions.register_companion_writer(lambda conn, records: [] if extra in records else [extra])
    changes = store.add([build_record(CONTACT, recorded_by=store.user)])
    assert extra.id in changes.added and store.record_count() == 2
