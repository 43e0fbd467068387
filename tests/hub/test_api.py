"""The hub's HTTP surface: OpenAPI, size and rate limits, coordinator counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from outreach.hub.limits import MAX_BATCH_BYTES
from outreach.hub.service import Hub
from outreach.store.store import Store
from outreach.sync import outbox, state
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from tests.hub.harness import contacts, make_hub, serve_in_thread


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return make_hub(tmp_path / "hub")


@pytest.fixture
def url(hub: Hub) -> Iterator[str]:
    with serve_in_thread(hub, rate=2) as base:
        yield base


def test_openapi_is_served(url: str) -> None:
    """The spec lists every endpoint and resolves the message schemas it references."""
    spec = httpx.get(url + "/openapi.json").json()
    assert {"/v1/enrol", "/v1/batches", "/v1/reference", "/v1/counts", "/v1/health"} <= set(
        spec["paths"]
    )
    assert {"SignedReceipt", "EnrolRequest", "Reference"} <= set(spec["components"]["schemas"])


def test_oversized_body_is_refused_before_reading(url: str, hub: Hub) -> None:
    """A body over the limit gets 413 whether or not it declares its length."""
    big = b"\0" * (MAX_BATCH_BYTES + 1)
    assert httpx.post(url + "/v1/batches", content=big).status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BATCH_BYTES // 65536 + 2):
            yield b"\0" * 65536

    assert httpx.post(url + "/v1/batches", content=chunks()).status_code == 413
    assert hub.record_total() == 0


def test_garbage_body_is_a_clear_400(url: str) -> None:
    """Bytes that are not an envelope get a JSON error, not a server error."""
    answer = httpx.post(url + "/v1/batches", content=b"hello")
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"


def test_rate_limit_per_device(url: str, hub: Hub, store: Store) -> None:
    """A device over its rate gets 429 with Retry-After; the client waits and still syncs."""
    enrol(store, hub.new_enrolment(url).text())
    store.add(contacts(5))
    envelope = outbox.next_batch(store, state.identity(store))
    assert envelope is not None
    statuses = [httpx.post(url + "/v1/batches", content=envelope) for _ in range(4)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and limited[0].headers["retry-after"].isdigit()
    assert sync_now(store).acked_through == 5


def test_counts_need_the_coordinator_token(url: str, hub: Hub, store: Store) -> None:
    """Counts by site match what was synced; without the admin token the hub says 401."""
    enrol(store, hub.new_enrolment(url).text())
    store.add(contacts(9))
    sync_now(store)
    params = {"by": "age_band", "start": "2026-11-01", "end": "2026-11-30"}
    assert httpx.get(url + "/v1/counts", params=params).status_code == 401
    answer = httpx.get(
        url + "/v1/counts",
        params=params,
        headers={"Authorization": f"Bearer {hub.keys.admin_token}"},
    )
    assert answer.status_code == 200
    assert {row["age_band"]: row["count"] for row in answer.json()["rows"]} == {
        "25_34": 3,
        "35_44": 3,
        "45_54": 3,
    }
    bad = httpx.get(
        url + "/v1/counts",
        params={**params, "by": "colour"},
        headers={"Authorization": f"Bearer {hub.keys.admin_token}"},
    )
    assert bad.status_code == 400 and "colour" in bad.json()["detail"]


def test_served_hub_counts_records_by_the_receipt(url: str, hub: Hub, store: Store) -> None:
    """Over HTTP too, every acknowledged record is already in the facts tables."""
    import sqlalchemy as sa

    from outreach.hub import db

    enrol(store, hub.new_enrolment(url).text())
    store.add(contacts(40))
    sync_now(store)
    with hub.engine.connect() as conn:
        facts = conn.execute(sa.select(sa.func.count()).select_from(db.facts)).scalar()
    assert facts == 40
