"""The hub's identity: an X25519 key batches are sealed to and an Ed25519 key receipts are signed
with, kept as owner-only files in the hub's home directory (never in the database)."""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from outreach.config import write_atomic
from outreach.errors import OutreachError
from outreach.sync.envelope import raw_public
from outreach.sync.protocol import hub_fingerprint

KEM_FILE = "hub-kem.key"
SIGN_FILE = "hub-sign.key"
ADMIN_FILE = "admin-token"


class HubSetupError(OutreachError):
    """The hub's home directory is missing its keys or cannot be written."""


@dataclasses.dataclass(frozen=True)
class HubKeys:
    kem: X25519PrivateKey
    sign: Ed25519PrivateKey
    admin_token: str

    @property
    def kem_public(self) -> bytes:
        return raw_public(self.kem.public_key())

    @property
    def sign_public(self) -> bytes:
        return raw_public(self.sign.public_key())

    @property
    def fingerprint(self) -> str:
        return hub_fingerprint(self.kem_public, self.sign_public)


def _raw(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _write_secret(path: Path, data: bytes) -> None:
    write_atomic(path, data)
    os.chmod(path, 0o600)


def create_keys(home: Path) -> HubKeys:
    """New hub keys; refuses to replace existing ones (devices have them pinned)."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (home / KEM_FILE).exists():
        raise HubSetupError(f"hub keys already exist in {home}: devices are pinned to them")
    keys = HubKeys(X25519PrivateKey.generate(), Ed25519PrivateKey.generate(), secrets.token_hex(16))
    _write_secret(home / KEM_FILE, _raw(keys.kem))
    _write_secret(home / SIGN_FILE, _raw(keys.sign))
    _write_secret(home / ADMIN_FILE, keys.admin_token.encode())
    return keys


def load_keys(home: Path) -> HubKeys:
    try:
        kem = X25519PrivateKey.from_private_bytes((home / KEM_FILE).read_bytes())
        sign = Ed25519PrivateKey.from_private_bytes((home / SIGN_FILE).read_bytes())
    except FileNotFoundError:
        raise HubSetupError(f"no hub keys in {home}: run 'outreach-hub init' first") from None
    except ValueError as exc:
        raise HubSetupError(f"the hub keys in {home} are damaged: {exc}") from None
    return HubKeys(kem, sign, _admin_token(home))


def _admin_token(home: Path) -> str:
    """The admin token for `outreach-hub` on the server; "" (opens nothing, see
    `coordinator.admin_token_matches`) if its file is missing or empty."""
    try:
        return (home / ADMIN_FILE).read_text().strip()
    except FileNotFoundError:
        return ""
