"""Hub fixtures shared by the hub tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.hub.service import Hub
from tests.hub.harness import make_hub, postgres_database


@pytest.fixture
def pg_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub on a fresh database of the local PostgreSQL, dropped afterwards."""
    with postgres_database() as url:
        hub = make_hub(tmp_path / "hub", url)
        try:
            yield hub
        finally:
            hub.engine.dispose()
