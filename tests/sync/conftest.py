"""A real hub (SQLite, uvicorn on 127.0.0.1 in a thread) and a device store enrolled with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from outreach.hub.service import Hub
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync.enrolment import enrol
from tests.hub.harness import BACKENDS, hub_on, serve_in_thread
from tests.samples import FAST_KDF, PASSPHRASE


@pytest.fixture(params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """The hub on each backend: PostgreSQL stores batches through its own server function."""
    with hub_on(request.param, tmp_path / "hub") as hub:
        yield hub


@pytest.fixture
def hub_url(hub: Hub) -> Iterator[str]:
    with serve_in_thread(hub) as url:
        yield url


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """More device stores (each its own data directory), closed after the test."""
    made: list[Store] = []

    def make(name: str) -> Store:
        store, _ = create_store(tmp_path / name, name, "worker", PASSPHRASE, kdf=FAST_KDF)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def enrolled(store: Store, hub: Hub, hub_url: str) -> Store:
    enrol(store, hub.new_enrolment(hub_url).text())
    return store
