"""Key slots: the random database key, wrapped once per user and once for recovery.

The database key never touches disk in the clear. Each user's slot wraps it with AES-256-GCM under
an Argon2id key from that user's passphrase; the recovery slot uses a random key shown once at
set-up. Changing a passphrase rewrites one slot. The slot file is the only plain file besides
settings, and holds no record content.

The crypto libraries are imported where keys are derived or (un)wrapped: reading the slot file
(who may unlock, for the unlock screen's first paint) needs neither.
"""

from __future__ import annotations

import base64
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
from outreach.store.secret import KeyBuffer, wipe

log = logging.getLogger(__name__)

KEY_BYTES = 32
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_GROUPS = 6  # 6 groups of 5 characters: 150 random bits
LOCK_TIMEOUT_S = 60.0  # unlocks queue behind each other, one key derivation (~0.25 s) each
_READ_ONLY_ERRORS = (errno.EROFS, errno.EACCES, errno.EPERM)


class KdfParams(msgspec.Struct, frozen=True):
    alg: str = "argon2id"
    memory_kib: int = 64 * 1024
    time_cost: int = 3
    parallelism: int = 4
    salt: str = ""

    def derive(self, secret: bytes) -> bytes:
        from argon2.exceptions import HashingError
        from argon2.low_level import Type, hash_secret_raw

        if self.alg != "argon2id":
            raise StoreError(f"unsupported key derivation '{self.alg}'")
        try:
            return hash_secret_raw(
                secret,
                base64.b64decode(self.salt),
                time_cost=self.time_cost,
                memory_cost=self.memory_kib,
                parallelism=self.parallelism,
                hash_len=KEY_BYTES,
                type=Type.ID,
            )
        except (ValueError, HashingError):  # a damaged salt or parameters in the slot file
            raise StoreError("the key slot file is damaged (key derivation settings)") from None


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


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def calibrate_kdf(target_seconds: float = 0.25, max_time_cost: int = 12) -> KdfParams:
    """Argon2id at 64 MiB, p=4; raise time_cost until one derivation takes ~target_seconds."""
    params = KdfParams(salt=_b64(secrets.token_bytes(16)))
    while True:
        started = time.perf_counter()
        params.derive(b"calibration")
        elapsed = time.perf_counter() - started
        if elapsed >= target_seconds or params.time_cost >= max_time_cost:
            log.info("kdf calibrated: t=%d, %.3f s", params.time_cost, elapsed)
            return params
        params = msgspec.structs.replace(params, time_cost=params.time_cost + 1)


def preload() -> None:
    """Import the crypto libraries now, so that a key derivation started later need not."""
    import argon2.low_level  # noqa: F401
    import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
    import cryptography.hazmat.primitives.kdf.hkdf  # noqa: F401


def _aad(store_id: str, kind: str, user: str, role: str) -> bytes:
    """Binds a slot to its store, owner and role: no swapping slots, no editing a role in."""
    return f"outreach-slot-v1|{store_id}|{kind}|{user}|{role}".encode()


def _wrap(wrapping_key: bytes, db_key: KeyBuffer, aad: bytes) -> tuple[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    try:
        return _b64(nonce), _b64(AESGCM(wrapping_key).encrypt(nonce, db_key.view, aad))
    finally:
        wipe(wrapping_key)


def _recovery_wrapping_key(recovery_key: str, store_id: str) -> bytes:
    """The recovery key is 150 random bits, so a fast KDF is enough."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(hashes.SHA256(), KEY_BYTES, store_id.encode(), b"outreach-recovery-v1").derive(
        normalise_recovery_key(recovery_key).encode()
    )


def new_recovery_key() -> str:
    chars = "".join(secrets.choice(_CROCKFORD) for _ in range(5 * RECOVERY_GROUPS))
    return "-".join(chars[i : i + 5] for i in range(0, len(chars), 5))


def normalise_recovery_key(text: str) -> str:
    cleaned = text.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    return cleaned


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
        nonce, wrapped = _wrap(
            _recovery_wrapping_key(recovery, vault.store_id),
            db_key,
            _aad(vault.store_id, "recovery", "", ""),
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
        params = msgspec.structs.replace(params, salt=_b64(secrets.token_bytes(16)))
        nonce, wrapped = _wrap(
            params.derive(passphrase.encode()), db_key, _aad(self.store_id, "user", user, role)
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
            lambda _: _recovery_wrapping_key(recovery_key, self.store_id),
            "that recovery key does not open this store",
        )
        return key

    def _open(self, slot: Slot, wrapping_key: bytes) -> KeyBuffer | None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return KeyBuffer(
                AESGCM(wrapping_key).decrypt(
                    base64.b64decode(slot.nonce),
                    base64.b64decode(slot.wrapped),
                    _aad(self.store_id, slot.kind, slot.user, slot.role),
                )
            )
        except InvalidTag:
            return None
        except ValueError:  # bad base64 or nonce length: the slot file was damaged
            raise StoreError("the key slot file is damaged") from None
        finally:
            wipe(wrapping_key)

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
