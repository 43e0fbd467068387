"""Open the SQLCipher database with a raw key and the pragmas the security model asks for.

Only `sqlcipher3` is used: loading the stdlib `sqlite3` against the same file in one process would
mix two SQLite copies and break file locking.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3
from sqlcipher3 import dbapi2

from outreach.errors import StoreCorrupt, StoreError, StoreMissing
from outreach.store.secret import wipe

log = logging.getLogger(__name__)

CACHE_KIB = 32 * 1024

if TYPE_CHECKING:  # sqlcipher3 mirrors the stdlib API but ships no type hints
    from sqlite3 import Connection
else:
    Connection = dbapi2.Connection
DatabaseError = dbapi2.DatabaseError
OperationalError = dbapi2.OperationalError
# cipher_memory_security: SQLCipher zeroes (and locks) every allocation it frees, process-wide.
# Off, as SQLCipher itself defaults since 4.5: with it on, grouped counts over 20k records took
# 29-31 ms of CPU against 6-7 ms off and 6-11 ms plain (2026-12-02), far past the 1.3x
# encrypted/plain budget (DESIGN section 7). The key is not what it guards: our code wipes the
# key buffer and the PRAGMA text, SQLCipher always wipes its own key material, and
# `store/test_key_memory.py` finds no key copy after lock either way. What it would add is
# zeroing freed page buffers while a store is open; closing the store at lock frees them to the
# heap (docs/decisions.md).
MEMORY_SECURITY = False
DAMAGED = "the store is damaged: restore it from a backup, or recover (docs/security.md)"
_HEX = b"0123456789abcdef"


def _key_statement(key: memoryview) -> bytearray:
    """`PRAGMA key = "x'<hex>'"` built byte by byte in a bytearray: no hex `str` of the key."""
    statement = bytearray(b"PRAGMA key = \"x'")
    for byte in key:
        statement.append(_HEX[byte >> 4])
        statement.append(_HEX[byte & 15])
    statement += b"'\""
    return statement


def _apply_key(conn: Connection, key: memoryview) -> None:
    """Key SQLCipher with the raw key, leaving no copy of it in Python's memory.

    SQLCipher is keyed by SQL text, so one transient `str` of the statement must exist. It is
    built from a bytearray, run through `executescript` (which prepares it directly, bypassing the
    statement cache that would otherwise keep the text alive until close), and then zeroed in
    place with `wipe` (ctypes.memset on the str's own buffer). SQLite's copies of the text are
    freed when the statement is finalized, and `cipher_memory_security` (set before the key)
    makes SQLCipher zero every allocation it frees.
    """
    statement = _key_statement(key)
    text = statement.decode("ascii")
    try:
        conn.executescript(text)
    finally:
        wipe(text)
        wipe(statement)


def open_encrypted(
    path: Path, key: bytes | bytearray | memoryview, *, create: bool = False
) -> Connection:
    """Open (or create) the store keyed with the raw 256-bit key; fails cleanly on a wrong key.

    Without `create`, a file that is missing, empty or holds no schema is never taken for a store
    (SQLCipher would quietly start a new, empty one): that is `StoreMissing`, and nothing is
    written. The caller keeps and wipes `key`.
    """
    if not create:
        try:
            empty = path.stat().st_size == 0
        except FileNotFoundError:
            empty = True
        if empty:
            raise StoreMissing(path.name)
    read_only = not create and not writable(path)
    conn = sqlcipher3.connect(
        _read_only_uri(path) if read_only else str(path),
        isolation_level=None,
        check_same_thread=True,
        uri=read_only,
    )
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # errors reach the user via exceptions
        conn.execute(f"PRAGMA cipher_memory_security = {'ON' if MEMORY_SECURITY else 'OFF'}")
        _apply_key(conn, memoryview(key))
        # Reading the schema decrypts page 1: a wrong key or a damaged header fails here.
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if not create and tables == 0:
            conn.close()
            raise StoreMissing(path.name)
        if read_only:
            log.info("the data directory is read-only: store opened read-only")
        else:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        # Decrypted pages stay cached, so repeated counts do not pay for decryption again.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except DatabaseError as exc:
        conn.close()
        if isinstance(exc, OperationalError):  # disk I/O error, full disk, locked: not damage
            raise StoreError(f"cannot use the store file {path.name}: {exc}") from None
        # The key came from an authenticated key slot, so a failure here means damage.
        raise StoreCorrupt(f"the store file is damaged or was replaced: {exc}") from None
    return conn


def writable(path: Path) -> bool:
    """Whether this process may write the store and make its -wal and -shm files beside it."""
    return os.access(path.parent, os.W_OK) and os.access(path, os.W_OK)


def _read_only_uri(path: Path) -> str:
    """Read-only: `status` and reading work where nothing can be written. SQLite cannot open a
    WAL database read-only unless its -wal and -shm exist or can be made, so with none (a clean
    close deletes them) the file is opened immutable: no WAL then means nothing to miss."""
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    immutable = "" if wal.exists() and shm.exists() else "&immutable=1"
    return f"{path.resolve().as_uri()}?mode=ro{immutable}"


def store_error(exc: BaseException) -> StoreError | None:
    """The typed error for a SQLCipher failure, or None for anything that is not one.

    Disk trouble (OperationalError: I/O error, full disk, locked) is said as such; a page that
    fails its HMAC or a malformed b-tree (a plain DatabaseError) is `StoreCorrupt`. Integrity and
    programming errors are bugs or rules, not damage, and are left to their callers.
    """
    if isinstance(exc, OperationalError):
        return StoreError(f"the store could not be read or written: {exc}")
    if type(exc) is DatabaseError:
        return StoreCorrupt(f"{DAMAGED} ({exc})")
    return None


def verify_integrity(conn: Connection) -> list[str]:
    """Authenticate every page (HMAC) and check the b-trees; returns problems, empty if sound."""
    problems: list[str] = []
    try:
        problems += [row[0] for row in conn.execute("PRAGMA cipher_integrity_check")]
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except DatabaseError as exc:
        return [*problems, str(exc)]
    if result != ["ok"]:
        problems += result
    return problems
