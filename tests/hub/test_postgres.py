"""The hub on the local PostgreSQL: same ingest, idempotency, voids and counts as on SQLite."""

from __future__ import annotations

import pytest

from outreach.hub.service import Hub
from outreach.store.store import Store
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from tests.hub.harness import contacts, serve_in_thread

pytestmark = pytest.mark.postgres


def test_sync_and_counts_on_postgres(pg_hub: Hub, store: Store) -> None:
    """Records land once, a void retires its target, counts run through the shared SQL."""
    assert pg_hub.engine.dialect.name == "postgresql"
    with serve_in_thread(pg_hub) as url:
        enrol(store, pg_hub.new_enrolment(url).text())
        records = contacts(700)
        store.add(records)
        store.void(records[0].id, "entered_in_error")
        result = sync_now(store)
        again = sync_now(store)
    assert result.accepted == 701 and again.sent == 0
    assert pg_hub.record_total() == 701
    import datetime as dt

    rows = pg_hub.counts(["substances"], dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    by_value = {row["substances"]: row["count"] for row in rows}
    # odd n: heroin+crack (350), even n: alcohol (350), minus the voided n=0 (alcohol)
    assert by_value == {"alcohol": 349, "crack": 350, "heroin": 350}
