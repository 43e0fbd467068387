"""The coordinator's Devices page as the desktop sees it: list the hub's devices, have the hub make
an enrolment code for a chosen role, revoke a device with a reason code (a coordinator device only;
the hub audits each request).

Each call is a request signed by this device's key over its path and query (the parameters are in
the query, so the signature covers them). A device not enrolled with the coordinator role gets
SyncError(AUTH) (the hub's 403); a verified revocation of this device wipes its store, as sync does.
Runs on the store thread (it reads the identity), never on the UI thread.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
import urllib.parse
from typing import Any

import httpx
import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.store.store import Store
from outreach.sync import revocation, state
from outreach.sync.client import _clock_offset
from outreach.sync.protocol import sign_request
from outreach.sync.transport import (
    DEFAULT_POLICY,
    RetryPolicy,
    RevocationClaim,
    Revoked,
    make_client,
    request,
)
from outreach.sync.wipe import wipe_store

DEVICES = "/v1/service/devices"
CODES = "/v1/service/enrolment-codes"
QUARANTINE = "/v1/service/quarantine"
# The reason codes the hub takes (outreach.hub.device_admin.REVOKE_REASONS), with their labels.
REVOKE_REASONS = {
    "lost": "Lost",
    "stolen": "Stolen",
    "replaced": "Replaced by another device",
    "left_service": "Its user left the service",
    "compromised": "Passphrase or key may be known to others",
    "other": "Other",
}


class DeviceRow(msgspec.Struct, frozen=True):
    """One device as the hub lists it (None: not known to the hub)."""

    device_id: str
    label: str
    role: str
    enrolled_at: str
    revoked_at: str | None
    acked_through: int
    last_seen: str | None
    quarantined: int
    revoke_reason: str | None = None
    users: int | None = None
    waiting: int | None = None


class _Devices(msgspec.Struct, frozen=True):
    devices: list[DeviceRow]


class QuarantineGroup(msgspec.Struct, frozen=True):
    """Records the hub holds in quarantine from one device for one reason."""

    device_id: str
    label: str
    error: str
    records: int


class _Quarantine(msgspec.Struct, frozen=True):
    groups: list[QuarantineGroup]


class MadeCode(msgspec.Struct, frozen=True):
    code: str  # the enrolment code's text (what the QR holds)
    role: str
    label: str
    days: int


def _signed(store: Store, method: str, path: str, policy: RetryPolicy, cancel: Any) -> bytes:
    """The body of the hub's answer to a signed request; SyncError otherwise."""
    ident = state.identity(store)
    try:
        with make_client(ident.hub.url, ident.hub.cert_pem, policy) as client:
            offset = _clock_offset(client, ident, policy, cancel)
            response = request(
                client,
                method,
                path,
                policy=policy,
                cancel=cancel,
                headers=lambda: sign_request(
                    method, path, ident.device_id, ident.key, time.time() + offset
                ),
            )
    except RevocationClaim as claim:
        revocation.verify(claim.body, ident)
        wipe_store(store)
        raise Revoked("the hub has revoked this device: its store has been wiped") from None
    except httpx.InvalidURL as exc:
        raise SyncError(f"bad hub URL: {exc}", kind=SyncErrorKind.PROTOCOL) from None
    return response.content


def _decode(body: bytes, kind: type[Any], what: str) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.DecodeError as exc:
        raise SyncError(
            f"the hub's {what} is malformed: {exc}", kind=SyncErrorKind.PROTOCOL
        ) from None


def list_devices(
    store: Store, *, policy: RetryPolicy = DEFAULT_POLICY, cancel: threading.Event | None = None
) -> list[DeviceRow]:
    """Every device enrolled with the hub, oldest enrolment first."""
    answer: _Devices = _decode(_signed(store, "GET", DEVICES, policy, cancel), _Devices, "list")
    return answer.devices


def list_quarantine(
    store: Store, *, policy: RetryPolicy = DEFAULT_POLICY, cancel: threading.Event | None = None
) -> list[QuarantineGroup]:
    """The hub's quarantine by device and reason, largest group first."""
    body = _signed(store, "GET", QUARANTINE, policy, cancel)
    answer: _Quarantine = _decode(body, _Quarantine, "quarantine")
    return answer.groups


def make_enrolment_code(
    store: Store,
    role: str,
    label: str = "",
    days: int = 7,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    cancel: threading.Event | None = None,
) -> MadeCode:
    """A one-time code from the hub for a new device of `role`, naming the hub at the address
    this device uses (and pinning the TLS certificate this device pinned)."""
    hub = state.identity(store).hub
    query = {"role": role, "label": label, "days": str(days), "url": hub.url}
    if hub.cert_pem:
        query["tls"] = hashlib.sha256(ssl.PEM_cert_to_DER_cert(hub.cert_pem)).hexdigest()
    path = f"{CODES}?{urllib.parse.urlencode(query)}"
    made: MadeCode = _decode(_signed(store, "POST", path, policy, cancel), MadeCode, "code")
    return made


def revoke_device(
    store: Store,
    device_id: str,
    reason: str,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    cancel: threading.Event | None = None,
) -> None:
    """Revoke another device with a reason code (`REVOKE_REASONS`); it wipes itself at its next
    contact with the hub."""
    if reason not in REVOKE_REASONS:
        raise SyncError(f"unknown reason '{reason}'", kind=SyncErrorKind.PROTOCOL)
    quoted = urllib.parse.quote(device_id, safe="")
    path = f"{DEVICES}/{quoted}/revoke?{urllib.parse.urlencode({'reason': reason})}"
    _signed(store, "POST", path, policy, cancel)
