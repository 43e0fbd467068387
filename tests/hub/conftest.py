"""Hub fixtures shared by the hub tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.hub.service import Hub
from tests.hub.harness import BACKENDS, hub_on


@pytest.fixture
def pg_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub on a fresh database of the local PostgreSQL, dropped afterwards."""
    with hub_on("postgresql", tmp_path / "hub") as hub:
        yield hub


@pytest.fixture(params=[*BACKENDS, pytest.param("postgresql-async", marks=pytest.mark.postgres)])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """Each backend; "postgresql-async" sends every `ingest` through `ingest_async` (the app's
    way on PostgreSQL), each on its own event loop."""
    backend = request.param.removesuffix("-async")
    with hub_on(backend, tmp_path / "hub") as hub:
        if request.param.endswith("-async"):

            async def once(envelope: bytes, via: str) -> bytes:
                try:
                    return await hub.ingest_async(envelope, via)
                finally:
                    await hub.close_async()

            def ingest(envelope: bytes, via: str = "https") -> bytes:
                return asyncio.run(once(envelope, via))

            hub.ingest = ingest  # type: ignore[method-assign]
        yield hub
