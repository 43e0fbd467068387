"""Open the SQLCipher database with a raw key and the pragmas the security model asks for.

Only `sqlcipher3` is used: loading the stdlib `sqlite3` against the same file in one process would
mix two SQLite copies and break file locking.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3
from sqlcipher3 import dbapi2

from outreach.errors import StoreCorrupt, StoreError

log = logging.getLogger(__name__)

CACHE_KIB = 32 * 1024

if TYPE_CHECKING:  # sqlcipher3 mirrors the stdlib API but ships no type hints
    from sqlite3 import Connection
else:
    Connection = dbapi2.Connection
DatabaseError = dbapi2.DatabaseError
OperationalError = dbapi2.OperationalError


def open_encrypted(path: Path, key: bytes, *, create: bool = False) -> Connection:
    """Open (or create) the store keyed with the raw 256-bit key; fails cleanly on a wrong key."""
    if not create and not path.exists():
        raise StoreCorrupt(f"the store file {path} is missing")
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # errors reach the user via exceptions
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("PRAGMA cipher_memory_security = OFF")
        # Reading the schema decrypts page 1: a wrong key or a damaged header fails here.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
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
