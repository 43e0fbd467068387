"""The sealed batch envelope (protocol v1; byte format in docs/sync-protocol.md).

Only the hub can read a batch (HPKE to its X25519 key) and only the device can have made it
(Ed25519 over the header). The header travels in clear so the hub can find the device, check the
signature and spot a replay before it spends any time decrypting.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

import msgspec
import zstandard
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

VERSION = 1
MAGIC = b"OXB" + bytes([VERSION])
SIGNATURE_BYTES = 64
MAX_RECORDS = 5000
MAX_PLAINTEXT = 64 * 1024 * 1024  # zstd bomb guard: a batch never decompresses beyond this
_INFO = b"outreach-batch-v1\x00"
_SIGNED = b"outreach-batch-header-v1\x00"
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_FIXED = struct.Struct(">4sI")


class EnvelopeError(ValueError):
    """The envelope is malformed, tampered with, or not for this hub."""


class PayloadTooLarge(EnvelopeError):
    """The batch would decompress beyond the size the reader allows."""


class Header(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    version: int
    device_id: str
    batch_id: str
    first_seq: int
    last_seq: int
    count: int
    hub_key_id: str
    ciphertext_sha256: bytes

    def bound(self) -> bytes:
        """The fields HPKE binds as `info` (everything known before the ciphertext exists)."""
        fields = (self.version, self.device_id, self.batch_id, self.first_seq, self.last_seq)
        return _INFO + msgspec.msgpack.encode([*fields, self.count, self.hub_key_id])


class Opened(msgspec.Struct, frozen=True):
    header: Header
    records: list[tuple[int, bytes]]


def batch_id(device_id: str, first_seq: int, last_seq: int) -> str:
    """Same device and seq range, same id: a batch resent after a crash is recognised."""
    text = f"outreach-batch-id-v1\x00{device_id}\x00{first_seq}\x00{last_seq}".encode()
    return hashlib.sha256(text).hexdigest()[:32]


def key_id(public_key: X25519PublicKey | bytes) -> str:
    raw = public_key if isinstance(public_key, bytes) else raw_public(public_key)
    return hashlib.sha256(raw).hexdigest()[:16]


def raw_public(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def seal(
    device_id: str,
    records: Sequence[tuple[int, bytes]],
    hub_key: X25519PublicKey,
    device_key: Ed25519PrivateKey,
) -> bytes:
    """Envelope for (device_seq, record bytes) pairs with consecutive seqs."""
    if not records:
        raise ValueError("a batch needs at least one record")
    seqs = [seq for seq, _ in records]
    first, last = seqs[0], seqs[-1]
    if seqs != list(range(first, last + 1)):
        raise ValueError("batch seqs must be consecutive")
    draft = Header(
        VERSION,
        device_id,
        batch_id(device_id, first, last),
        first,
        last,
        len(records),
        key_id(hub_key),
        b"",
    )
    payload = zstandard.ZstdCompressor(level=3).compress(msgspec.msgpack.encode(list(records)))
    ciphertext = _SUITE.encrypt(payload, hub_key, info=draft.bound())
    header = msgspec.structs.replace(draft, ciphertext_sha256=hashlib.sha256(ciphertext).digest())
    header_bytes = msgspec.msgpack.encode(header)
    signature = device_key.sign(_SIGNED + header_bytes)
    return _FIXED.pack(MAGIC, len(header_bytes)) + header_bytes + signature + ciphertext


def _split(envelope: bytes) -> tuple[Header, bytes, bytes, bytes]:
    if len(envelope) < _FIXED.size:
        raise EnvelopeError("envelope too short")
    magic, size = _FIXED.unpack_from(envelope)
    if magic[:3] != MAGIC[:3]:
        raise EnvelopeError("not an Outreach batch")
    if magic != MAGIC:
        raise EnvelopeError(f"unsupported batch version {magic[3]}")
    end = _FIXED.size + size
    if size > 4096 or len(envelope) < end + SIGNATURE_BYTES:
        raise EnvelopeError("envelope header is truncated or too large")
    header_bytes = envelope[_FIXED.size : end]
    try:
        header = msgspec.msgpack.decode(header_bytes, type=Header)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"bad header: {exc}") from None
    if header.version != VERSION:
        raise EnvelopeError("header version does not match")
    signature = envelope[end : end + SIGNATURE_BYTES]
    return header, header_bytes, signature, envelope[end + SIGNATURE_BYTES :]


def read_header(envelope: bytes) -> Header:
    """The clear header, unverified: only to find the device key that verifies it."""
    return _split(envelope)[0]


def verify_header(envelope: bytes, device_key: Ed25519PublicKey) -> Header:
    """The header, once the device signature over it checks (before any decryption)."""
    header, header_bytes, signature, _ = _split(envelope)
    try:
        device_key.verify(signature, _SIGNED + header_bytes)
    except InvalidSignature:
        raise EnvelopeError("the device signature does not match") from None
    return header


def open_envelope(
    envelope: bytes,
    device_key: Ed25519PublicKey,
    hub_key: X25519PrivateKey,
    max_plaintext: int = MAX_PLAINTEXT,
) -> Opened:
    """Verify the device signature, the ciphertext hash and the header binding, then decrypt;
    the payload may not decompress beyond `max_plaintext` bytes (the hub sets its own cap)."""
    header, header_bytes, signature, ciphertext = _split(envelope)
    try:
        device_key.verify(signature, _SIGNED + header_bytes)
    except InvalidSignature:
        raise EnvelopeError("the device signature does not match") from None
    if hashlib.sha256(ciphertext).digest() != header.ciphertext_sha256:
        raise EnvelopeError("the ciphertext does not match its hash")
    if header.hub_key_id != key_id(hub_key.public_key()):
        raise EnvelopeError("the batch was sealed to a different hub key")
    expected_id = batch_id(header.device_id, header.first_seq, header.last_seq)
    if header.batch_id != expected_id or header.count != header.last_seq - header.first_seq + 1:
        raise EnvelopeError("batch id or count does not match the seq range")
    if header.count < 1 or header.count > MAX_RECORDS:
        raise EnvelopeError("batch record count out of range")
    try:
        payload = _SUITE.decrypt(ciphertext, hub_key, info=header.bound())
        size = zstandard.frame_content_size(payload)
        if size > max_plaintext:
            raise PayloadTooLarge(f"the batch would decompress beyond {max_plaintext} bytes")
        if size <= 0:
            raise EnvelopeError("the batch payload size is missing")
        plain = zstandard.ZstdDecompressor().decompress(payload)
        records = msgspec.msgpack.decode(plain, type=list[tuple[int, bytes]])
    except InvalidTag:
        raise EnvelopeError("the batch cannot be decrypted (tampered or wrong key)") from None
    except (zstandard.ZstdError, msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"the batch payload is malformed: {exc}") from None
    if [seq for seq, _ in records] != list(range(header.first_seq, header.last_seq + 1)):
        raise EnvelopeError("the records do not match the header's seq range")
    return Opened(header, records)


def envelope_hash(envelope: bytes) -> str:
    return hashlib.sha256(envelope).hexdigest()
