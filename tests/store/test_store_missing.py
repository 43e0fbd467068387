"""A store file that is gone or empty beside existing key slots is never taken for a new store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from outreach.errors import StoreMissing
from outreach.store.session import STORE_FILE, unlock_store
from outreach.store.store import Store
from tests.samples import PASSPHRASE


def _files(data_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in data_dir.iterdir() if p.is_file()}


@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_empty_or_missing_store_file_is_refused_and_nothing_is_made(
    store: Store, data_dir: Path, damage: str
) -> None:
    """Unlocking with slots but a 0-byte or missing store raises StoreMissing and writes nothing."""
    store.close()
    db = data_dir / STORE_FILE
    if damage == "empty":
        db.write_bytes(b"")
    else:
        db.unlink()
    before = _files(data_dir)
    with pytest.raises(StoreMissing, match="restore it from a backup, or recover"):
        unlock_store(data_dir, "alice", PASSPHRASE)
    assert _files(data_dir) == before


def test_cli_status_on_an_empty_store_file_exits_non_zero(store: Store, data_dir: Path) -> None:
    """`status --check` on a 0-byte store says it is missing or damaged, exit 1, no traceback."""
    store.close()
    (data_dir / STORE_FILE).write_bytes(b"")
    before = _files(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), "status", "--check"],
        capture_output=True,
        text=True,
        env={**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "store is missing or damaged" in result.stderr
    assert "Traceback" not in result.stderr
    assert _files(data_dir) == before  # still 0 bytes; no -wal or -shm made
