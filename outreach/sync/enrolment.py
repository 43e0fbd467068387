"""Enrol this device with a hub from a one-time code, and report sync status for the UI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import ssl
import urllib.parse

import httpx
import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.store.store import Store
from outreach.sync import state, status
from outreach.sync.envelope import raw_public
from outreach.sync.protocol import (
    EnrolmentCode,
    EnrolRequest,
    EnrolResponse,
    ProtocolError,
    b64d,
    b64e,
    hub_fingerprint,
)
from outreach.sync.reference import LOCAL_SERVICE_KEY
from outreach.sync.transport import DEFAULT_POLICY, RetryPolicy, check_url, make_client, request

log = logging.getLogger(__name__)
# The store-only sync reads (no network stack) are `status`'s; named here for their callers.
is_enrolled = status.is_enrolled
last_sync = status.last_sync
pending_count = status.pending_count
unlinked_client_codes = status.unlinked_client_codes


@dataclasses.dataclass(frozen=True)
class EnrolmentInfo:
    hub_url: str
    device_id: str
    hub_fingerprint: str
    enrolled_at: dt.datetime
    # Records saved before enrolment whose client codes came from this laptop's own key.
    unlinked_client_codes: int = 0


@dataclasses.dataclass(frozen=True)
class ReceiptInfo:
    batch_id: str
    received_at: dt.datetime
    acked_through: int
    accepted: int
    quarantined: int


def parse_code(code: str) -> EnrolmentCode:
    try:
        parsed = EnrolmentCode.parse(code)
    except ProtocolError as exc:
        raise SyncError(str(exc), kind=SyncErrorKind.PROTOCOL) from None
    check_url(parsed.url)
    return parsed


def _fetch_certificate(url: str, fingerprint: str) -> str:
    """The hub's TLS certificate, accepted only if it is the one the code pins."""
    parts = urllib.parse.urlsplit(url)
    try:
        pem = ssl.get_server_certificate((parts.hostname or "", parts.port or 443), timeout=10)
    except OSError as exc:
        raise SyncError(f"the hub cannot be reached ({exc})", kind=SyncErrorKind.NETWORK) from None
    if hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest() != fingerprint.lower():
        raise SyncError(
            "the hub's TLS certificate is not the one in the enrolment code",
            kind=SyncErrorKind.AUTH,
        )
    return pem


def enrol(store: Store, code: str, *, policy: RetryPolicy = DEFAULT_POLICY) -> EnrolmentInfo:
    """Send this device's public key with the code's token; pin the hub's keys and certificate."""
    parsed = parse_code(code)
    if state.hub_pins(store) is not None:
        raise SyncError("this device is already enrolled with a hub", kind=SyncErrorKind.AUTH)
    with store.transaction():
        key = state.device_key(store)
    cert_pem = None
    if parsed.url.startswith("https") and parsed.tls:
        cert_pem = _fetch_certificate(parsed.url, parsed.tls)
    public = b64e(raw_public(key.public_key()))
    # The role is the hub operator's, in the code (checked against the hub's signature below).
    message = EnrolRequest(parsed.token, store.device_id, public, role=parsed.role)
    with make_client(parsed.url, cert_pem, policy) as client:
        try:
            response = request(
                client,
                "POST",
                "/v1/enrol",
                policy=policy,
                content=msgspec.json.encode(message),
                headers=lambda: {"content-type": "application/json"},
            )
        except httpx.InvalidURL as exc:
            raise SyncError(f"bad hub URL: {exc}", kind=SyncErrorKind.PROTOCOL) from None
    answer, fingerprint = _checked_answer(response.content, parsed)
    now = dt.datetime.now(dt.UTC)
    pins = state.HubPins(
        parsed.url,
        answer.hub_kem_key,
        answer.hub_sign_key,
        fingerprint,
        parsed.tls,
        now.isoformat(timespec="seconds"),
        cert_pem,
        parsed.role,
    )
    with store.transaction():
        unlinked = _codes_from_local_key(store, answer.reference.service_key)
        store.set_meta(state.HUB, msgspec.json.encode(pins).decode())
        store.set_meta(state.UNLINKED_CODES, str(unlinked))
        if unlinked:  # History marks the records up to here that carry a client code
            store.set_meta(state.LOCAL_CODES_THROUGH, str(store.last_seq()))
        state.save_reference(store, answer.reference)
    log.info("enrolled with hub %s", fingerprint[:12])
    if unlinked:
        log.warning("%d records carry client codes from the local key", unlinked)
    return EnrolmentInfo(parsed.url, store.device_id, fingerprint, now, unlinked)


def _checked_answer(content: bytes, parsed: EnrolmentCode) -> tuple[EnrolResponse, str]:
    """The hub's answer and key fingerprint, if they are the keys the code pinned and the code
    (its role) carries their signature; SyncError otherwise."""
    try:
        answer = msgspec.json.decode(content, type=EnrolResponse)
        fingerprint = hub_fingerprint(b64d(answer.hub_kem_key), b64d(answer.hub_sign_key))
    except (msgspec.DecodeError, ProtocolError) as exc:
        raise SyncError(
            f"the hub's answer is malformed: {exc}", kind=SyncErrorKind.PROTOCOL
        ) from None
    if fingerprint != parsed.hub:
        raise SyncError(
            "the hub's keys do not match the enrolment code: not enrolled",
            kind=SyncErrorKind.AUTH,
        )
    try:
        parsed.verify(b64d(answer.hub_sign_key))
    except ProtocolError as exc:
        raise SyncError(str(exc), kind=SyncErrorKind.AUTH) from None
    return answer, fingerprint


def _codes_from_local_key(store: Store, hub_key: str | None) -> int:
    """Active records with a client code made before enrolment with a different, local key.

    Codes cannot be remade (the typed initials and dates are never kept), so those people are
    not linked to the codes the hub's key gives them from now on; the user is told how many.
    """
    local = store.meta(LOCAL_SERVICE_KEY)
    if not local or not hub_key or local == hub_key:
        return 0
    return _local_code_records(store)


def _local_code_records(store: Store) -> int:
    """Active records carrying a client code (before enrolment, made with the local key)."""
    if not store.meta(LOCAL_SERVICE_KEY):
        return 0
    row = store.conn.execute(
        "SELECT count(*) FROM fact_data WHERE client_code IS NOT NULL AND active = 1"
    ).fetchone()
    return int(row[0])


def codes_to_unlink(store: Store) -> int:
    """Before enrolling: records with client codes this laptop made with its own key, which
    will not match the codes the service's key gives the same people (the user is warned)."""
    return 0 if is_enrolled(store) else _local_code_records(store)


def local_codes_through(store: Store) -> int:
    """The last store seq whose client code (if any) was made with this laptop's own key before
    enrolment; 0 if there were none. History marks those records "not linked"."""
    return int(store.meta(state.LOCAL_CODES_THROUGH, "0") or 0)


def receipt_history(store: Store, limit: int = 200) -> list[ReceiptInfo]:
    """Receipts from the hub, newest first."""
    rows = store.conn.execute(
        "SELECT batch_id, received_at, acked_through, accepted, quarantined FROM receipts "
        "ORDER BY received_at DESC, acked_through DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        ReceiptInfo(row[0], dt.datetime.fromisoformat(row[1]), row[2], row[3], row[4])
        for row in rows
    ]
