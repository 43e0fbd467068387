"""Every path that meets a damaged page says "the store is damaged" as StoreCorrupt: no raw
SQLCipher error, no traceback on stderr (store methods, meta, direct queries, the CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from outreach.errors import StoreCorrupt
from outreach.store.session import STORE_FILE, unlock_store
from outreach.store.store import Store
from tests.samples import CONTACT, PASSPHRASE

PAGE = 4096  # SQLCipher 4's default page size


def damage_table(store: Store, data_dir: Path, table: str) -> None:
    """Fill a store, close it, then flip bytes inside the root page of `table` (`*`: of every
    table and index but meta's)."""
    for _ in range(40):
        store.add_new(dict(CONTACT))
    rows = store.conn.execute("SELECT name, tbl_name, rootpage FROM sqlite_master").fetchall()
    pages = [
        int(page)
        for name, owner, page in rows
        if page and (name == table or (table == "*" and owner != "meta"))
    ]
    store.close()
    with open(data_dir / STORE_FILE, "r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * PAGE + PAGE // 2)
            chunk = handle.read(16)
            handle.seek((page - 1) * PAGE + PAGE // 2)
            handle.write(bytes(b ^ 0xFF for b in chunk))


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE},
        timeout=120,
    )


def test_damaged_meta_page_is_store_corrupt(store: Store, data_dir: Path) -> None:
    """Reading the device id from a damaged meta page raises StoreCorrupt, not DatabaseError."""
    damage_table(store, data_dir, "meta")
    reopened = unlock_store(data_dir, "alice", PASSPHRASE)
    with reopened, pytest.raises(StoreCorrupt, match="restore it from a backup"):
        reopened.device_id  # noqa: B018 - the read is the test


@pytest.mark.parametrize(("table", "command"), [("meta", "status"), ("*", "counts")])
def test_cli_on_a_damaged_page_prints_one_clear_line(
    store: Store, data_dir: Path, table: str, command: str
) -> None:
    """`status` (meta) and `counts` (direct queries) on damaged pages: exit 1, the clear message,
    no traceback and no raw SQLCipher error name on stderr."""
    damage_table(store, data_dir, table)
    result = run_cli(data_dir, command)
    assert result.returncode == 1, result
    assert "outreach: error: the store is damaged" in result.stderr
    assert "Traceback" not in result.stderr and "sqlcipher3" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_cli_status_on_damaged_record_pages_has_no_traceback(store: Store, data_dir: Path) -> None:
    """`status` counting records on a damaged page: the clear message alone, no traceback first."""
    damage_table(store, data_dir, "records")
    result = run_cli(data_dir, "status")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        line for line in result.stderr.strip().splitlines() if line.startswith("outreach: error:")
    ]
    assert "store is damaged" in result.stderr and "Traceback" not in result.stderr
