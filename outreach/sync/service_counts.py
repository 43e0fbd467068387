"""Fetch the whole service's commissioner set from the hub (a coordinator device only).

For the desktop's "Whole service" scope: `fetch_service_counts(store, "FY2026-27 Q1")` returns
the hub's answer, typed (`protocol.ServiceCounts`); the reports layer reads it as a `CountSet`
with `CountSet.from_wire(msgspec.to_builtins(answer))`. The request is signed over its path and
query by this device's key, as every signed request is; a device not enrolled with the
coordinator role gets SyncError(AUTH) (the hub's 403). Published figures unless `exact`.
"""

from __future__ import annotations

import threading
import time
import urllib.parse

import httpx
import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.store.store import Store
from outreach.sync import revocation, state
from outreach.sync.client import _clock_offset
from outreach.sync.protocol import ServiceCounts, sign_request
from outreach.sync.transport import (
    DEFAULT_POLICY,
    RetryPolicy,
    RevocationClaim,
    Revoked,
    make_client,
    request,
)
from outreach.sync.wipe import wipe_store

PATH = "/v1/service/commissioner"


def service_counts_path(
    period: str, site: str | None = None, area: str | None = None, *, exact: bool = False
) -> str:
    """The signed path and query for a period (2026-01, FY2026-27, FY2026-27 Q1, a..b)."""
    query: dict[str, str] = {"period": period}
    if site:
        query["site"] = site
    if area:
        query["area"] = area
    if exact:
        query["exact"] = "1"
    return f"{PATH}?{urllib.parse.urlencode(query)}"


def fetch_service_counts(
    store: Store,
    period: str,
    site: str | None = None,
    area: str | None = None,
    *,
    exact: bool = False,
    policy: RetryPolicy = DEFAULT_POLICY,
    cancel: threading.Event | None = None,
) -> ServiceCounts:
    """The hub's service-wide set; raises SyncError (NETWORK offline, AUTH not a coordinator,
    PROTOCOL for a bad period), and wipes the store on a verified revocation as sync does."""
    ident = state.identity(store)
    path = service_counts_path(period, site, area, exact=exact)
    try:
        with make_client(ident.hub.url, ident.hub.cert_pem, policy) as client:
            offset = _clock_offset(client, ident, policy, cancel)
            response = request(
                client,
                "GET",
                path,
                policy=policy,
                cancel=cancel,
                headers=lambda: sign_request(
                    "GET", path, ident.device_id, ident.key, time.time() + offset
                ),
            )
    except RevocationClaim as claim:
        revocation.verify(claim.body, ident)
        wipe_store(store)
        raise Revoked("the hub has revoked this device: its store has been wiped") from None
    except httpx.InvalidURL as exc:
        raise SyncError(f"bad hub URL: {exc}", kind=SyncErrorKind.PROTOCOL) from None
    try:
        return msgspec.json.decode(response.content, type=ServiceCounts)
    except msgspec.DecodeError as exc:
        raise SyncError(
            f"the hub's service counts are malformed: {exc}", kind=SyncErrorKind.PROTOCOL
        ) from None
