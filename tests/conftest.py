"""Shared fixtures: a fresh encrypted store per test, always closed; headless Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from outreach import paths  # noqa: E402
from outreach.stock.companion import register as register_ledger  # noqa: E402
from outreach.store.session import create_store  # noqa: E402
from outreach.store.store import Store  # noqa: E402
from tests.samples import FAST_KDF, PASSPHRASE  # noqa: E402

# The 2-core CI machine is often busy: a per-example time limit would fail correct code at random.
settings.register_profile("outreach", deadline=None)
settings.load_profile("outreach")

# What the composition roots (outreach.cli, the desktop app's Ops) do at start-up.
register_ledger()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def active_data_dir(data_dir: Path) -> Iterator[Path]:
    """`data_dir`, made the app's data directory (settings, store) for the test."""
    paths.set_data_dir(data_dir)
    try:
        yield data_dir
    finally:
        paths.set_data_dir(None)


@pytest.fixture
def store_and_recovery(data_dir: Path) -> Iterator[tuple[Store, str]]:
    """A coordinator's store: the role that may record, read and void every record type."""
    store, recovery = create_store(data_dir, "alice", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    try:
        yield store, recovery
    finally:
        store.close()


@pytest.fixture
def store(store_and_recovery: tuple[Store, str]) -> Store:
    return store_and_recovery[0]
