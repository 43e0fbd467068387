"""Wipe a revoked device's store: key slots first (that alone makes the database unreadable),
then the database, its WAL and shared memory, and any pre-migration copies.

Overwriting is best effort on SSDs and copy-on-write file systems; destroying the key slots is
what actually protects the data, because the database key exists nowhere else.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from outreach.store.session import SLOTS_FILE, SLOTS_LOCK_FILE, STORE_FILE
from outreach.store.store import Store

log = logging.getLogger(__name__)


def _shred(path: Path) -> None:
    try:
        size = path.stat().st_size
        with path.open("r+b") as handle:
            remaining = size
            while remaining > 0:
                chunk = min(remaining, 1 << 20)
                handle.write(secrets.token_bytes(chunk))
                remaining -= chunk
            handle.flush()
            os.fsync(handle.fileno())
    except FileNotFoundError:
        return
    except OSError:
        log.warning("could not overwrite %s before deleting it", path.name)
    path.unlink(missing_ok=True)


def store_files(data_dir: Path) -> list[Path]:
    names = [SLOTS_FILE, SLOTS_LOCK_FILE, STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm"]
    found = [data_dir / name for name in names]
    found += sorted(data_dir.glob(f"{STORE_FILE}.*"))  # .new, .before-vN copies and their WALs
    return found


def wipe_store(store: Store) -> None:
    """Close the store and destroy every file that held its data or its keys."""
    path = store.path
    store.close()
    if path is None:
        return
    for file in store_files(path.parent):
        _shred(file)
    log.warning("store wiped: this device was revoked by the hub")
