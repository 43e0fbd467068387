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
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Literal

import msgspec

from outreach.config import write_atomic
from outreach.domain import user_names
from outreach.domain.roles import ROLES
from outreach.errors import LockedOut, StoreError, UnknownUser, WrongPassphrase
from outreach.store import passphrases

log = logging.getLogger(__name__)

KEY_BYTES = 32
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_GROUPS = 6  # 6 groups of 5 characters: 150 random bits


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


class Unlocked(msgspec.Struct, frozen=True):
    """What a successful unlock yields: the key and who opened it."""

    key: bytes
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


def _wrap(wrapping_key: bytes, db_key: bytes, aad: bytes) -> tuple[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    return _b64(nonce), _b64(AESGCM(wrapping_key).encrypt(nonce, db_key, aad))


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
    """The slot file beside the store; every change is written atomically."""

    def __init__(self, path: Path, data: SlotFile) -> None:
        self.path = path
        self._data = data

    @property
    def store_id(self) -> str:
        return self._data.store_id

    @classmethod
    def load(cls, path: Path) -> Vault:
        try:
            data = msgspec.json.decode(path.read_bytes(), type=SlotFile)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
            raise StoreError(f"the key slot file {path.name} is damaged: {exc}") from None
        return cls(path, data)

    @classmethod
    def create(
        cls,
        path: Path,
        user: str,
        role: str,
        passphrase: str,
        kdf: KdfParams | None = None,
        *,
        db_key: bytes | None = None,
    ) -> tuple[Vault, bytes, str]:
        """Slots for `user` and for recovery around a (new random) database key.

        Returns the vault, the database key and the recovery key (to show once, then forget).
        """
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}")
        user = user_names.check_new(user, ())
        check_passphrase(passphrase, user)
        db_key = db_key or secrets.token_bytes(KEY_BYTES)
        recovery = new_recovery_key()
        vault = cls(path, SlotFile(version=1, store_id=secrets.token_hex(16), slots=[]))
        vault._data.slots.append(vault._user_slot(db_key, user, role, passphrase, kdf))
        nonce, wrapped = _wrap(
            _recovery_wrapping_key(recovery, vault.store_id),
            db_key,
            _aad(vault.store_id, "recovery", "", ""),
        )
        vault._data.slots.append(Slot("recovery", "", "", nonce, wrapped))
        vault.save()
        return vault, db_key, recovery

    def save(self) -> None:
        write_atomic(self.path, msgspec.json.format(msgspec.json.encode(self._data)))
        os.chmod(self.path, 0o600)

    def users(self) -> list[tuple[str, str]]:
        """(user, role) of every user slot, for the unlock screen."""
        return [(s.user, s.role) for s in self._data.slots if s.kind == "user"]

    def _user_slot(
        self, db_key: bytes, user: str, role: str, passphrase: str, kdf: KdfParams | None
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
        self.save()

    def _record_success(self) -> None:
        if self._data.failures:
            self._data.failures = 0
            self.save()

    def unlock(self, user: str, passphrase: str) -> Unlocked:
        wait = self.lockout_remaining()
        if wait > 0:
            raise LockedOut(f"too many attempts: try again in {wait:.0f} s", retry_after=wait)
        slot = self._slot_for(user)
        if slot.kdf is None:
            raise StoreError("the key slot file is damaged (a user slot has no key settings)")
        key = self._open(slot, slot.kdf.derive(passphrase.encode()))
        if key is None:
            self._record_failure()
            raise WrongPassphrase("wrong passphrase")
        self._record_success()
        return Unlocked(key, slot.user, slot.role)

    def unlock_with_recovery(self, recovery_key: str) -> bytes:
        wait = self.lockout_remaining()
        if wait > 0:
            raise LockedOut(f"too many attempts: try again in {wait:.0f} s", retry_after=wait)
        slot = next(s for s in self._data.slots if s.kind == "recovery")
        key = self._open(slot, _recovery_wrapping_key(recovery_key, self.store_id))
        if key is None:
            self._record_failure()
            raise WrongPassphrase("that recovery key does not open this store")
        self._record_success()
        return key

    def _open(self, slot: Slot, wrapping_key: bytes) -> bytes | None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return AESGCM(wrapping_key).decrypt(
                base64.b64decode(slot.nonce),
                base64.b64decode(slot.wrapped),
                _aad(self.store_id, slot.kind, slot.user, slot.role),
            )
        except InvalidTag:
            return None
        except ValueError:  # bad base64 or nonce length: the slot file was damaged
            raise StoreError("the key slot file is damaged") from None

    def set_passphrase(
        self, db_key: bytes, user: str, passphrase: str, kdf: KdfParams | None = None
    ) -> None:
        """Change (or, after recovery, reset) one user's passphrase; other slots are untouched."""
        old = self._slot_for(user)
        check_passphrase(passphrase, old.user)
        new = self._user_slot(db_key, user, old.role, passphrase, kdf)
        self._data.slots = [new if s is old else s for s in self._data.slots]
        self.save()

    def add_user(
        self, db_key: bytes, user: str, role: str, passphrase: str, kdf: KdfParams | None = None
    ) -> None:
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}")
        user = user_names.check_new(user, [existing for existing, _ in self.users()])
        check_passphrase(passphrase, user)
        self._data.slots.insert(-1, self._user_slot(db_key, user, role, passphrase, kdf))
        self.save()
