"""Shared fixtures: a fresh encrypted store per test, always closed; headless Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from outreach.store.session import create_store  # noqa: E402
from outreach.store.store import Store  # noqa: E402
from outreach.store.vault import KdfParams  # noqa: E402

# Tests only: a cheap Argon2id so hundreds of stores can be made quickly. Real stores calibrate.
FAST_KDF = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def store_and_recovery(data_dir: Path) -> Iterator[tuple[Store, str]]:
    store, recovery = create_store(data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    try:
        yield store, recovery
    finally:
        store.close()


@pytest.fixture
def store(store_and_recovery: tuple[Store, str]) -> Store:
    return store_and_recovery[0]
