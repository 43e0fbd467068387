"""Create, unlock and recover a store in a data directory: the only way code gets a `Store`.

Whether a store exists and who may unlock it need only the slot file; the SQLCipher and schema
stack is imported when a store is opened. The unlock screen asks the former before its first
paint, and the opening runs on the store thread (start-up budget, DESIGN §7).
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from outreach.domain import user_names
from outreach.errors import NoStore, StoreExists, StoreMissing
from outreach.records import permissions
from outreach.store import passphrases, vault
from outreach.store.secret import KeyBuffer, wiped_after
from outreach.store.vault import KdfParams, Vault

if TYPE_CHECKING:
    from outreach.store.store import Store

log = logging.getLogger(__name__)
STORE_FILE = "outreach.db"
SLOTS_FILE = "keyslots.json"
SLOTS_LOCK_FILE = SLOTS_FILE + ".lock"  # kept between uses (vault.Vault._locked); wiped with it


def store_exists(data_dir: Path) -> bool:
    return (data_dir / SLOTS_FILE).exists()


def check_store_file(data_dir: Path) -> None:
    """StoreMissing if key slots exist but the store file is gone or empty (and no interrupted
    creation is waiting to be finished): the unlock screen says so before anyone types."""
    if not store_exists(data_dir):
        return
    db_path = data_dir / STORE_FILE
    if not _has_content(db_path if db_path.exists() else _pending(db_path)):
        raise StoreMissing(STORE_FILE)


def _pending(db_path: Path) -> Path:
    """Where `create_store` builds the database before renaming it into place."""
    return db_path.with_name(db_path.name + ".new")


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def preload() -> None:
    """Import what opening a store needs (SQLCipher, the schema, the crypto) ahead of an unlock:
    the desktop app does it off its UI thread while the unlock screen waits for a passphrase."""
    from outreach.store import connection, migrations, store  # noqa: F401

    vault.preload()


PRIVATE_FILES = (
    STORE_FILE,
    STORE_FILE + "-wal",
    STORE_FILE + "-shm",
    SLOTS_FILE,
    SLOTS_LOCK_FILE,
    "settings.json",
)


def make_private(data_dir: Path) -> None:
    """Owner-only access (dir 0700, files 0600), on creation and at every open: a data dir made
    beforehand, or settings written by an older version, could be readable by everyone.
    Where the modes cannot change (read-only medium, another owner) it says so in the log."""
    targets = [(data_dir, 0o700), *((data_dir / name, 0o600) for name in PRIVATE_FILES)]
    for path, mode in targets:
        try:
            info = path.lstat()
            if not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o777 != mode:
                os.chmod(path, mode)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.info("cannot make %s private: %s", path.name, exc.strerror)


def load_vault(data_dir: Path) -> Vault:
    if not store_exists(data_dir):
        raise NoStore(f"no store in {data_dir}: run 'outreach init' or the set-up wizard first")
    make_private(data_dir)
    return Vault.load(data_dir / SLOTS_FILE)


def create_store(
    data_dir: Path, user: str, role: str, passphrase: str, kdf: KdfParams | None = None
) -> tuple[Store, str]:
    """New store and key slots; returns the open store and the recovery key (show it once)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(data_dir)
    db_path = data_dir / STORE_FILE
    if store_exists(data_dir) or db_path.exists():
        raise StoreExists(f"a store already exists in {data_dir}")
    user = user_names.check_new(user, ())  # refused before any file is made
    passphrases.check(passphrase, (user,))
    # Build the database first: a crash before the slots are saved leaves no half-made store.
    from outreach.store.connection import open_encrypted
    from outreach.store.migrations import migrate

    tmp = _pending(db_path)
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    with wiped_after(KeyBuffer(secrets.token_bytes(vault.KEY_BYTES))) as key:
        conn = open_encrypted(tmp, key.view, create=True)
        migrate(conn, None)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('device_id', ?)", (secrets.token_hex(16),)
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        slots, recovery = Vault.create(
            data_dir / SLOTS_FILE, user, role, passphrase, kdf, db_key=key
        )
        tmp.rename(db_path)
        make_private(data_dir)  # SQLite makes its files 0644
        store = _open(data_dir, key, user, role)
    store.set_meta("store_id", slots.store_id)
    log.info("created store for role %s", role)
    return store, recovery


def _open(data_dir: Path, key: KeyBuffer, user: str, role: str, store_id: str = "") -> Store:
    """Open the store file with `key` (the caller wipes it; SQLCipher keeps its own copy, in
    memory it zeroes at close). A missing or empty file is `StoreMissing`, never a new store."""
    from outreach.store.connection import open_encrypted
    from outreach.store.migrations import migrate
    from outreach.store.store import Store

    db_path = data_dir / STORE_FILE
    pending = _pending(db_path)
    interrupted = not db_path.exists() and _has_content(pending)
    if interrupted:
        # create_store was killed between saving the slots and the rename: the file is whole.
        log.warning("finishing a store creation that was interrupted")
        pending.rename(db_path)
    if not db_path.exists():
        raise StoreMissing(db_path.name)
    conn = open_encrypted(db_path, key.view)
    migrate(conn, db_path)
    store = Store(conn, db_path, user, role)
    if interrupted and store_id:
        store.set_meta("store_id", store_id)
    return store


def unlock_store(data_dir: Path, user: str, passphrase: str) -> Store:
    vault = load_vault(data_dir)
    unlocked = vault.unlock(user, passphrase)
    with wiped_after(unlocked.key) as key:
        return _open(data_dir, key, unlocked.user, unlocked.role, vault.store_id)


def recover_store(
    data_dir: Path, recovery_key: str, user: str, new_passphrase: str, kdf: KdfParams | None = None
) -> Store:
    """Open with the recovery key and set a new passphrase for `user` (forgotten passphrase)."""
    vault = load_vault(data_dir)
    with wiped_after(vault.unlock_with_recovery(recovery_key)) as key:
        vault.set_passphrase(key, user, new_passphrase, kdf)
        user = user_names.normalise(user)
        role = dict(vault.users())[user]
        return _open(data_dir, key, user, role, vault.store_id)


def change_passphrase(
    data_dir: Path, user: str, old: str, new: str, kdf: KdfParams | None = None
) -> None:
    vault = load_vault(data_dir)
    unlocked = vault.unlock(user, old)
    with wiped_after(unlocked.key) as key:
        vault.set_passphrase(key, user, new, kdf)


def add_user(
    data_dir: Path,
    admin: str,
    admin_passphrase: str,
    user: str,
    role: str,
    passphrase: str,
    kdf: KdfParams | None = None,
) -> None:
    """A user already on the device vouches for a new one by unlocking the key for them; only
    for a role with no more rights than their own (NotPermitted otherwise)."""
    vault = load_vault(data_dir)
    user = user_names.check_new(user, [name for name, _ in vault.users()])  # before the unlock
    passphrases.check(passphrase, (user,))
    unlocked = vault.unlock(admin, admin_passphrase)
    with wiped_after(unlocked.key) as key:
        permissions.require_add_user(unlocked.role, role)
        vault.add_user(key, user, role, passphrase, kdf)
