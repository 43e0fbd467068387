"""Wrapping the database key: Argon2id for passphrases, HKDF for the recovery key, AES-256-GCM
around the key, each slot bound to its store, owner and role.

The crypto libraries are imported inside the functions that derive or (un)wrap keys, so reading
the slot file (the unlock screen's first paint) needs neither; `preload` imports them early.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time

import msgspec

from outreach.errors import StoreError
from outreach.store.secret import KeyBuffer, wipe

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


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def calibrate_kdf(target_seconds: float = 0.25, max_time_cost: int = 12) -> KdfParams:
    """Argon2id at 64 MiB, p=4; raise time_cost until one derivation takes ~target_seconds."""
    params = KdfParams(salt=b64(secrets.token_bytes(16)))
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


def aad(store_id: str, kind: str, user: str, role: str) -> bytes:
    """Binds a slot to its store, owner and role: no swapping slots, no editing a role in."""
    return f"outreach-slot-v1|{store_id}|{kind}|{user}|{role}".encode()


def wrap(wrapping_key: bytes, db_key: KeyBuffer, aad: bytes) -> tuple[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    try:
        return b64(nonce), b64(AESGCM(wrapping_key).encrypt(nonce, db_key.view, aad))
    finally:
        wipe(wrapping_key)


def recovery_wrapping_key(recovery_key: str, store_id: str) -> bytes:
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


def unwrap(wrapping_key: bytes, nonce: str, wrapped: str, aad: bytes) -> KeyBuffer | None:
    """The database key, or None when the wrapping key is wrong (the wrapping key is wiped)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return KeyBuffer(
            AESGCM(wrapping_key).decrypt(base64.b64decode(nonce), base64.b64decode(wrapped), aad)
        )
    except InvalidTag:
        return None
    except ValueError:  # bad base64 or nonce length: the slot file was damaged
        raise StoreError("the key slot file is damaged") from None
    finally:
        wipe(wrapping_key)
