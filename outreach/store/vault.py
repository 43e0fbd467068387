"""Key slots: the random database key, wrapped once per user and once for recovery.

The database key never touches disk in the clear. Each user's slot wraps it with AES-256-GCM under
an Argon2id key from that user's passphrase; the recovery slot uses a random key shown once at
set-up. Changing a passphrase rewrites one slot. The slot file is the only plain file besides
settings, and holds no record content.

This module keeps the file (its lock, reads and atomic writes, the failure count); the
cryptography is in `outreach.store.key_wrap`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import msgspec

from outreach.config import write_atomic
from outreach.domain import user_names
from outreach.domain.roles import ROLES
from outreach.errors import LockedOut, StoreError, StoreExists, UnknownUser, WrongPassphrase
from outreach.store import passphrases
from outreach.store.key_wrap import (
    KEY_BYTES,
    RECOVERY_GROUPS,
    KdfParams,
    aad,
    b64,
    calibrate_kdf,
    new_recovery_key,
    normalise_recovery_key,
    preload,
    recovery_wrapping_key,
    unwrap,
    wrap,
)
from outreach.store.secret import KeyBuffer

__all__ = [
    "KEY_BYTES",
    "RECOVERY_GROUPS",
    "KdfParams",
    "Slot",
    "SlotFile",
    "Unlocked",
    "Vault",
    "calibrate_kdf",
    "check_passphrase",
    "new_recovery_key",
    "normalise_recovery_key",
    "preload",
]

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 60.0  # unlocks queue behind each other, one key derivation (~0.25 s) each
_READ_ONLY_ERRORS = (errno.EROFS, errno.EACCES, errno.EPERM)


class Slot(msgspec.Struct, frozen=True):
    kind: Literal["user", "recovery"]
    user: str
    role: str
    nonce: str
    wrapped: str
    kdf: KdfParams | None = None


class SlotFile(msgspec.Struct):
    version: int
    store_id: str
    slots: list[Slot]
    failures: int = 0
    last_failure: float = 0.0


@dataclasses.dataclass(frozen=True)
class Unlocked:
    """What a successful unlock yields: the key (one mutable buffer) and who opened it."""

    key: KeyBuffer
    user: str
    role: str


def check_passphrase(passphrase: str, user: str = "") -> None:
    """The one passphrase policy (outreach.store.passphrases): WeakPassphrase with feedback."""
    passphrases.check(passphrase, (user,) if user else ())


class Vault:
    """The slot file beside the store.

    One writer at a time: every change, and every unlock (whose failures are counted in the
    file), holds an exclusive lock on `keyslots.json.lock` (flock, released by the kernel if the
    process dies), re-reads the file under it and replaces it atomically. Without the lock two
    processes adding users lost a slot, a passphrase change could be reverted by a concurrent
    write, and parallel wrong guesses counted as one failure.
    """

    def __init__(self, path: Path, data: SlotFile) -> None:
        self.path = path
        self._data = data
        self._read_only = False

    @property
    def store_id(self) -> str:
        return self._data.store_id

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @staticmethod
    def _read(path: Path) -> SlotFile:
        try:
            return msgspec.json.decode(path.read_bytes(), type=SlotFile)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
            raise StoreError(f"the key slot file {path.name} is damaged: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> Vault:
        """Read the slots (for the list of users); changes re-read them under the lock."""
        return cls(path, cls._read(path))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the slot-file lock. In a directory nobody may write (read-only medium or
        permissions) no other process can change the file either: read on, without a lock."""
        from filelock import FileLock, Timeout

        lock = FileLock(self.lock_path, timeout=LOCK_TIMEOUT_S, mode=0o600, preserve_lock_file=True)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(
                "the key slot file is busy (another Outreach window or command is using it): "
                "try again"
            ) from None
        except OSError as exc:
            if os.access(self.path.parent, os.W_OK) or exc.errno not in _READ_ONLY_ERRORS:
                raise StoreError(f"cannot lock the key slot file: {exc.strerror}") from None
            log.info("data directory is read-only: key slots used without a lock")
            self._read_only = True
            yield
            return
        try:
            yield
        finally:
            lock.release()

    def _reload(self) -> None:
        self._data = self._read(self.path)

    @contextlib.contextmanager
    def _changing(self) -> Iterator[SlotFile]:
        """Read-modify-write: the freshest slots under the lock, saved when the block succeeds."""
        with self._locked():
            self._reload()
            yield self._data
            self._write()

    @classmethod
    def create(
        cls,
        path: Path,
        user: str,
        role: str,
        passphrase: str,
        kdf: KdfParams | None = None,
        *,
        db_key: KeyBuffer,
    ) -> tuple[Vault, str]:
        """Slots for `user` and for recovery around the database key.

        Returns the vault and the recovery key (to show once, then forget).
        """
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}")
        user = user_names.check_new(user, ())
        check_passphrase(passphrase, user)
        recovery = new_recovery_key()
        vault = cls(path, SlotFile(version=1, store_id=secrets.token_hex(16), slots=[]))
        vault._data.slots.append(vault._user_slot(db_key, user, role, passphrase, kdf))
        nonce, wrapped = wrap(
            recovery_wrapping_key(recovery, vault.store_id),
            db_key,
            aad(vault.store_id, "recovery", "", ""),
        )
        vault._data.slots.append(Slot("recovery", "", "", nonce, wrapped))
        with vault._locked():
            if path.exists():
                raise StoreExists(f"a store already exists in {path.parent}")
            vault._write()
        return vault, recovery

    def save(self) -> None:
        """Write the slots as they are in memory (under the lock)."""
        with self._locked():
            self._write()

    def _write(self) -> None:
        if self._read_only:
            raise StoreError("the data directory is read-only: the key slot file cannot change")
        # Under the lock no other writer has a temp file in flight: any left is from a writer
        # killed mid-write (write_atomic's unique names are never reused, so never overwritten).
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
        try:
            write_atomic(self.path, msgspec.json.format(msgspec.json.encode(self._data)))
        except OSError as exc:
            raise StoreError(f"cannot write the key slot file: {exc.strerror}") from None

    def users(self) -> list[tuple[str, str]]:
        """(user, role) of every user slot, for the unlock screen."""
        return [(s.user, s.role) for s in self._data.slots if s.kind == "user"]

    def _user_slot(
        self, db_key: KeyBuffer, user: str, role: str, passphrase: str, kdf: KdfParams | None
    ) -> Slot:
        user = user_names.check_form(user)
        params = kdf or calibrate_kdf()
        params = msgspec.structs.replace(params, salt=b64(secrets.token_bytes(16)))
        nonce, wrapped = wrap(
            params.derive(passphrase.encode()), db_key, aad(self.store_id, "user", user, role)
        )
        return Slot("user", user, role, nonce, wrapped, params)

    def _slot_for(self, user: str) -> Slot:
        user = user_names.normalise(user)
        for slot in self._data.slots:
            if slot.kind == "user" and slot.user == user:
                return slot
        raise UnknownUser(f"no user '{user}' on this device")

    def lockout_remaining(self, now: float | None = None) -> float:
        """Seconds to wait before the next attempt: none for 3 failures, then doubling to 5 min."""
        failures = self._data.failures
        if failures < 3:
            return 0.0
        delay = min(2 ** (failures - 3), 300)
        return max(0.0, self._data.last_failure + delay - (now or time.time()))

    def _record_failure(self) -> None:
        self._data.failures += 1
        self._data.last_failure = time.time()
        if self._read_only:
            log.warning("failed unlock not counted: the data directory is read-only")
            return
        self._write()

    def _record_success(self) -> None:
        if self._data.failures and not self._read_only:
            self._data.failures = 0
            self._write()

    def _attempt(
        self, slot_of: Callable[[], Slot], wrapping_key: Callable[[Slot], bytes], refusal: str
    ) -> tuple[Slot, KeyBuffer]:
        """One unlock attempt, start to end under the lock: the lockout check, the key derivation
        and the failure count happen in one critical section, so parallel guesses queue up and
        each one counts (unlocks are serialised; each takes one key derivation)."""
        with self._locked():
            self._reload()
            wait = self.lockout_remaining()
            if wait > 0:
                raise LockedOut(f"too many attempts: try again in {wait:.0f} s", retry_after=wait)
            slot = slot_of()
            key = self._open(slot, wrapping_key(slot))
            if key is None:
                self._record_failure()
                raise WrongPassphrase(refusal)
            self._record_success()
        return slot, key

    def unlock(self, user: str, passphrase: str) -> Unlocked:
        def derive(slot: Slot) -> bytes:
            if slot.kdf is None:
                raise StoreError("the key slot file is damaged (a user slot has no key settings)")
            return slot.kdf.derive(passphrase.encode())

        slot, key = self._attempt(lambda: self._slot_for(user), derive, "wrong passphrase")
        return Unlocked(key, slot.user, slot.role)

    def unlock_with_recovery(self, recovery_key: str) -> KeyBuffer:
        def recovery_slot() -> Slot:
            for slot in self._data.slots:
                if slot.kind == "recovery":
                    return slot
            raise StoreError("the key slot file is damaged (no recovery slot)")

        _, key = self._attempt(
            recovery_slot,
            lambda _: recovery_wrapping_key(recovery_key, self.store_id),
            "that recovery key does not open this store",
        )
        return key

    def _open(self, slot: Slot, wrapping_key: bytes) -> KeyBuffer | None:
        slot_aad = aad(self.store_id, slot.kind, slot.user, slot.role)
        return unwrap(wrapping_key, slot.nonce, slot.wrapped, slot_aad)

    def set_passphrase(
        self, db_key: KeyBuffer, user: str, passphrase: str, kdf: KdfParams | None = None
    ) -> None:
        """Change (or, after recovery, reset) one user's passphrase; other slots are untouched."""
        check_passphrase(passphrase, self._slot_for(user).user)  # the policy, before the lock
        with self._changing() as data:
            old = self._slot_for(user)
            new = self._user_slot(db_key, user, old.role, passphrase, kdf)
            data.slots = [new if s is old else s for s in data.slots]

    def add_user(
        self, db_key: KeyBuffer, user: str, role: str, passphrase: str, kdf: KdfParams | None = None
    ) -> None:
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}")
        with self._changing() as data:
            user = user_names.check_new(user, [existing for existing, _ in self.users()])
            check_passphrase(passphrase, user)
            data.slots.insert(-1, self._user_slot(db_key, user, role, passphrase, kdf))
