"""Hub fixtures shared by the hub tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.hub.service import Hub
from tests.hub.harness import hub_on


@pytest.fixture
def pg_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub on a fresh database of the local PostgreSQL, dropped afterwards."""
    with hub_on("postgresql", tmp_path / "hub") as hub:
        yield hub
