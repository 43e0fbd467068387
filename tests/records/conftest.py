"""The toy record type registered for a test, and the sync fixtures (a real hub on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from outreach.records import registry
from tests.records import toy_type
from tests.sync.conftest import enrolled, hub, hub_url

__all__ = ["enrolled", "hub", "hub_url", "toy"]


@pytest.fixture
def toy() -> Iterator[str]:
    """The toy type, registered for one test (as a module of outreach/records/ would be)."""
    registry.register(toy_type.TYPE)
    try:
        yield toy_type.TYPE.name
    finally:
        registry.unregister(toy_type.TYPE.name)
