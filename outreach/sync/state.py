"""What the device remembers about sync, all inside the encrypted store's meta table.

The device's Ed25519 private key lives here too: it never touches the disk unencrypted.
"""

from __future__ import annotations

import dataclasses

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from outreach.errors import SyncError, SyncErrorKind
from outreach.store import vocabulary
from outreach.store.store import Store
from outreach.sync.protocol import Reference, b64d

DEVICE_KEY = "sync.device_key"
HUB = "sync.hub"
ACKED = "sync.acked_through"
LAST_SYNC = "sync.last_sync"
REFERENCE = vocabulary.REFERENCE  # "sync.reference": the store reads its code lists from it
UNLINKED_CODES = "sync.unlinked_client_codes"
LOCAL_CODES_THROUGH = "sync.local_codes_through"  # see enrolment.local_codes_through
# After a re-enrolment, the store seq that the new device id's seq 0 stands for: the hub numbers
# a device's records from 1, the store keeps its own seqs (see `reenrol`).
SEQ_BASE = "sync.seq_base"
OUT_OF_STEP = "sync.out_of_step"  # set when the hub refused a batch as an old copy's (409)
PREVIOUS_IDS = "sync.previous_device_ids"  # space-separated ids this store synced under before


class HubPins(msgspec.Struct, frozen=True):
    """The hub this device is enrolled with, as pinned at enrolment."""

    url: str
    kem_key: str
    sign_key: str
    fingerprint: str
    tls: str | None
    enrolled_at: str
    cert_pem: str | None = None  # the pinned TLS certificate, fetched and checked at enrolment
    role: str = "worker"  # the hub role the enrolment code gave this device

    def kem_public(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(b64d(self.kem_key))

    def sign_public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(b64d(self.sign_key))


@dataclasses.dataclass(frozen=True)
class Identity:
    device_id: str
    key: Ed25519PrivateKey
    hub: HubPins


def device_key(store: Store) -> Ed25519PrivateKey:
    """This device's signing key, made on first use (call inside a transaction or alone)."""
    stored = store.meta(DEVICE_KEY)
    if stored:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    store.set_meta(DEVICE_KEY, raw.hex())
    return key


def hub_pins(store: Store) -> HubPins | None:
    stored = store.meta(HUB)
    return msgspec.json.decode(stored, type=HubPins) if stored else None


def identity(store: Store) -> Identity:
    pins = hub_pins(store)
    stored = store.meta(DEVICE_KEY)
    if pins is None or not stored:
        raise SyncError(
            "this device is not enrolled with a hub: enrol it first",
            kind=SyncErrorKind.NOT_ENROLLED,
        )
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored))
    return Identity(store.device_id, key, pins)


def acked_through(store: Store) -> int:
    """The store seq up to which the hub has receipted every record."""
    return int(store.meta(ACKED, "0") or 0)


def seq_base(store: Store) -> int:
    """Store seq = wire seq + this (0 until the store re-enrols as a new device)."""
    return int(store.meta(SEQ_BASE, "0") or 0)


def reference(store: Store) -> Reference | None:
    stored = store.meta(REFERENCE)
    return msgspec.json.decode(stored, type=Reference) if stored else None


def save_reference(store: Store, ref: Reference) -> None:
    store.set_meta(REFERENCE, msgspec.json.encode(ref).decode())
