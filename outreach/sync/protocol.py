"""Wire messages shared by the device and the hub (JSON over HTTP, protocol v1 revision 3;
client summary pages are msgpack, zstd-compressed and hub-signed).

Kept apart from the HTTP code so the hub, the client and file transfer agree on one definition.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from typing import TypeVar

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from outreach.domain.vocab import Code, Product
from outreach.records.follow_up import FollowUpWindow

_T = TypeVar("_T")

CODE_PREFIX = "OUTREACH-ENROL-1:"
CLOCK_SKEW_SECONDS = 300
_RECEIPT_SIGNED = b"outreach-receipt-v1\x00"
_REQUEST_SIGNED = b"outreach-request-v1\x00"
_REVOCATION_SIGNED = b"outreach-revocation-v1\x00"
_CODE_SIGNED = b"outreach-enrolment-code-v1\x00"
_SUMMARIES_SIGNED = b"outreach-summaries-v1\x00"
# A summary page never decompresses beyond this (a zstd bomb from a fake hub or file);
# a page of the hub's largest size (limits.SUMMARY_PAGE_MAX) is a few MiB.
MAX_SUMMARY_PAGE_BYTES = 64 * 1024 * 1024

# HTTP headers of a signed device request (reference pull).
DEVICE_HEADER = "X-Outreach-Device"
TIME_HEADER = "X-Outreach-Time"
SIGNATURE_HEADER = "X-Outreach-Signature"


class ProtocolError(ValueError):
    """A message from the other side is malformed or its signature does not verify."""


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"bad base64: {exc}") from None


def hub_fingerprint(kem_public: bytes, sign_public: bytes) -> str:
    """What the enrolment code pins: both hub public keys."""
    return hashlib.sha256(b"outreach-hub-v1\x00" + kem_public + sign_public).hexdigest()


class EnrolmentCode(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: str
    token: str
    hub: str  # hub_fingerprint
    tls: str | None = None  # sha256 of the hub's TLS certificate (DER), hex
    # The role the hub operator gave this code (`outreach-hub enrol --role`), and the hub's
    # Ed25519 signature over the code, so the role cannot be changed on the way.
    role: str = "worker"
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """What the hub signs: every field but the signature."""
        return _CODE_SIGNED + msgspec.json.encode(
            [self.url, self.token, self.hub, self.tls, self.role]
        )

    def verify(self, hub_sign_key: bytes) -> None:
        """ProtocolError unless the hub (whose key the fingerprint pinned) signed this code. A
        code without a signature (older hubs) is accepted for the worker role only."""
        if not self.signature:
            if self.role != "worker":
                raise ProtocolError("the enrolment code's role is not signed by the hub")
            return
        try:
            Ed25519PublicKey.from_public_bytes(hub_sign_key).verify(
                b64d(self.signature), self.signed_bytes()
            )
        except (InvalidSignature, ValueError):
            raise ProtocolError("the enrolment code's signature does not verify") from None

    def text(self) -> str:
        return CODE_PREFIX + b64e(msgspec.json.encode(self))

    @classmethod
    def parse(cls, text: str) -> EnrolmentCode:
        cleaned = "".join(text.split())
        if not cleaned.startswith(CODE_PREFIX):
            raise ProtocolError("this is not an Outreach enrolment code")
        try:
            return msgspec.json.decode(b64d(cleaned[len(CODE_PREFIX) :]), type=cls)
        except msgspec.DecodeError as exc:
            raise ProtocolError(f"the enrolment code is damaged: {exc}") from None


class EnrolRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: str
    device_id: str
    device_key: str  # Ed25519 public key, base64url
    role: str = "worker"


class DisclosureRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Small-number control for published counts, per deployment (default NHS Digital's):
    0 stays 0, 1 to `suppress_at_most` shows as *, the rest round to the nearest `round_to`."""

    suppress_at_most: int = 7
    round_to: int = 5


class Reference(msgspec.Struct, frozen=True):
    """What a device pulls: code list additions, products, service key and retention policy."""

    version: int = 0
    lists: dict[str, list[Code]] = {}
    products: list[Product] = []
    service_key: str = ""  # hex; empty when the hub has none
    retention_days: int = 30
    disclosure: DisclosureRule = DisclosureRule()
    # Client summaries are sent for codes active in this many months (issue 12).
    summary_months: int = 18
    # When a follow-up after a non-fatal overdose is due (issue 15, item 2).
    follow_up: FollowUpWindow = FollowUpWindow()


class EnrolResponse(msgspec.Struct, frozen=True):
    device_id: str
    hub_kem_key: str  # X25519 public, base64url
    hub_sign_key: str  # Ed25519 public, base64url
    reference: Reference


class Receipt(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    batch_id: str
    device_id: str
    first_seq: int
    last_seq: int
    acked_through: int
    accepted: int
    quarantined: int
    duplicates: int
    received_at: str
    envelope_sha256: str


class SignedReceipt(msgspec.Struct, frozen=True):
    receipt: str  # base64url of the receipt's JSON bytes
    signature: str  # Ed25519 by the hub over those bytes

    @classmethod
    def make(cls, receipt: Receipt, key: Ed25519PrivateKey) -> SignedReceipt:
        body = msgspec.json.encode(receipt)
        return cls(b64e(body), b64e(key.sign(_RECEIPT_SIGNED + body)))

    def verify(self, hub_key: Ed25519PublicKey) -> Receipt:
        return _hub_signed(hub_key, self.signature, _RECEIPT_SIGNED, self.receipt, Receipt)


class ErrorBody(msgspec.Struct, frozen=True):
    error: str
    detail: str = ""


class Revocation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the hub signs when it refuses a revoked device. Naming the device id, the device's
    own public key and the hub's fingerprint means the message can only ever wipe that one
    enrolment of that one device; revocation is final, so a replay to the same device says
    nothing new."""

    device_id: str
    device_key: str  # the device's Ed25519 public key as enrolled, base64url
    hub: str  # hub_fingerprint
    revoked_at: str


class RevokedBody(msgspec.Struct, frozen=True):
    """The 403 answer to a revoked device: an `ErrorBody` plus the signed revocation."""

    error: str
    detail: str
    revocation: str  # base64url of the Revocation's JSON bytes
    signature: str  # Ed25519 by the hub over "outreach-revocation-v1\0" ‖ those bytes

    @classmethod
    def make(cls, revocation: Revocation, key: Ed25519PrivateKey, detail: str) -> RevokedBody:
        body = msgspec.json.encode(revocation)
        return cls("revoked", detail, b64e(body), b64e(key.sign(_REVOCATION_SIGNED + body)))

    def verify(self, hub_key: Ed25519PublicKey) -> Revocation:
        return _hub_signed(hub_key, self.signature, _REVOCATION_SIGNED, self.revocation, Revocation)


def _hub_signed(
    hub_key: Ed25519PublicKey, signature: str, context: bytes, body_b64: str, kind: type[_T]
) -> _T:
    """The message the hub signed under `context`, decoded as `kind`, or ProtocolError."""
    what = kind.__name__.lower()
    body = b64d(body_b64)
    try:
        hub_key.verify(b64d(signature), context + body)
        return msgspec.json.decode(body, type=kind)
    except InvalidSignature:
        raise ProtocolError(f"the {what}'s hub signature does not verify") from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"malformed {what}: {exc}") from None


def request_message(method: str, path: str, device_id: str, timestamp: int) -> bytes:
    return _REQUEST_SIGNED + f"{method}\n{path}\n{device_id}\n{timestamp}".encode()


def sign_request(
    method: str, path: str, device_id: str, key: Ed25519PrivateKey, now: float | None = None
) -> dict[str, str]:
    """Headers proving a request comes from the device (valid a few minutes)."""
    timestamp = int(time.time() if now is None else now)
    signature = key.sign(request_message(method, path, device_id, timestamp))
    return {
        DEVICE_HEADER: device_id,
        TIME_HEADER: str(timestamp),
        SIGNATURE_HEADER: b64e(signature),
    }


class ServiceTable(msgspec.Struct, frozen=True):
    """One table of the hub's service-wide count set: key columns then the count."""

    name: str
    title: str
    columns: list[str]
    vocab_lists: list[str]
    rows: list[list[str | int | None]]


class ServiceCounts(msgspec.Struct, frozen=True):
    """`GET /v1/service/commissioner`: the commissioner set of every device's records.

    `status` says which it is: published under the deployment's disclosure rule (its text), or
    "exact (not for publication)". Read into the reports' `CountSet` with
    `CountSet.from_wire(msgspec.to_builtins(answer))`."""

    start: str
    end: str
    site: str | None
    area: str | None
    published: bool
    status: str
    headlines: list[tuple[str, str, int | str]]
    tables: list[ServiceTable]


class SummaryEntry(msgspec.Struct, frozen=True, array_like=True):
    """One client code's change: its summary as the hub stores it (`ClientSummary` msgpack),
    or None: drop the code (nothing about it counts now, or it left the pull's scope)."""

    client_code: str
    change_seq: int
    summary: bytes | None


class SummaryPage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The summary changes after cursor `after` up to `through`, for one device of one hub.

    `complete` is false when more changes wait after `through`; `active_since` is the scope
    (codes last active before it are not sent and the device drops them)."""

    hub: str  # hub_fingerprint
    device_id: str
    after: int
    through: int
    complete: bool
    active_since: str  # ISO date
    issued_at: str
    entries: list[SummaryEntry]


class SignedSummaries(msgspec.Struct, frozen=True, array_like=True):
    """What `GET /v1/summaries` answers and a summaries file holds (msgpack): the page as
    zstd(msgpack) and the hub's Ed25519 signature over "outreach-summaries-v1\\0" ‖ those bytes."""

    page: bytes
    signature: bytes

    @classmethod
    def make(cls, page: SummaryPage, key: Ed25519PrivateKey) -> bytes:
        import zstandard

        body = zstandard.ZstdCompressor(level=3).compress(msgspec.msgpack.encode(page))
        return msgspec.msgpack.encode(cls(body, key.sign(_SUMMARIES_SIGNED + body)))

    @classmethod
    def open(cls, data: bytes, hub_key: Ed25519PublicKey) -> SummaryPage:
        """The page, if the hub's signature verifies and it decodes; else ProtocolError."""
        import zstandard

        try:
            signed = msgspec.msgpack.decode(data, type=cls)
        except msgspec.DecodeError as exc:
            raise ProtocolError(f"malformed summaries: {exc}") from None
        try:
            hub_key.verify(signed.signature, _SUMMARIES_SIGNED + signed.page)
        except InvalidSignature:
            raise ProtocolError("the summaries' hub signature does not verify") from None
        try:
            size = zstandard.frame_content_size(signed.page)
            if not 0 < size <= MAX_SUMMARY_PAGE_BYTES:
                raise ProtocolError("the summary page's size is missing or too large")
            plain = zstandard.ZstdDecompressor().decompress(signed.page)
            return msgspec.msgpack.decode(plain, type=SummaryPage)
        except (zstandard.ZstdError, msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise ProtocolError(f"malformed summary page: {exc}") from None
