"""Client summaries down from the hub: pulled after each sync, or imported from a USB file.

Every page is checked before anything is stored: the hub's Ed25519 signature with the key
pinned at enrolment, the hub fingerprint and device id it names, and (pulled) the cursor it
answers. Then `store.summaries.put_summaries` applies it and its cursor in one transaction,
refusing a page older than what is held. Any refusal is a `SyncError` saying that nothing
changed. A pull interrupted between pages resumes from the last page stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

import httpx
import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.records.client_summary import SummaryHead
from outreach.store.store import Store
from outreach.store.summaries import (
    SummaryChange,
    put_summaries,
    summaries_cursor,
    summaries_hub,
)
from outreach.sync import state
from outreach.sync.protocol import (
    MAX_SUMMARY_PAGE_BYTES,
    ProtocolError,
    SignedSummaries,
    SummaryPage,
    sign_request,
)
from outreach.sync.transport import DEFAULT_POLICY, RetryPolicy, request

log = logging.getLogger(__name__)
PAGE = 25_000  # summaries asked for per page (the hub may cap it lower)
MAX_PAGES = 10_000  # a hub that never says "complete" cannot keep a sync going for ever
_head = msgspec.msgpack.Decoder(SummaryHead).decode


def _refused(message: str) -> SyncError:
    return SyncError(f"summaries refused, nothing changed: {message}", kind=SyncErrorKind.PROTOCOL)


def apply_page(
    store: Store, data: bytes, ident: state.Identity, *, after: int | None = None
) -> SummaryPage:
    """Verify a signed page (for a pull, one answering `after`) and store it; SyncError if any
    check fails, and then nothing is stored."""
    try:
        page = SignedSummaries.open(data, ident.hub.sign_public())
    except ProtocolError as exc:
        raise _refused(str(exc)) from None
    if page.hub != ident.hub.fingerprint:
        raise _refused("they come from another hub than the one this device is enrolled with")
    if page.device_id != ident.device_id:
        raise _refused(f"they were made for another device ({page.device_id})")
    if after is not None and page.after != after:
        raise _refused(f"they answer a request after change {page.after}, not {after}")
    try:
        changes = [
            SummaryChange(
                entry.client_code,
                entry.change_seq,
                None if entry.summary is None else _head(entry.summary),
                entry.summary,  # stored as received (hub-signed; its head decoded)
            )
            for entry in page.entries
        ]
        since = dt.date.fromisoformat(page.active_since)
        issued = dt.datetime.fromisoformat(page.issued_at)
    except (msgspec.DecodeError, ValueError) as exc:
        raise _refused(f"a summary is malformed: {exc}") from None
    put_summaries(
        store,
        changes,
        hub=page.hub,
        after=page.after,
        through=page.through,
        active_since=since if page.complete else None,  # once a pull is caught up: one scan
        as_of=issued,
    )
    return page


def pull_summaries(
    store: Store,
    client: httpx.Client,
    ident: state.Identity,
    offset: float = 0.0,
    policy: RetryPolicy = DEFAULT_POLICY,
    cancel: threading.Event | None = None,
) -> int:
    """Pull pages until the hub says the device is caught up; returns the changes applied.
    `offset` is added to the local clock for signing (the hub's clock, as `sync_now` reads)."""
    applied = 0
    for _ in range(MAX_PAGES):
        held = summaries_hub(store)
        after = summaries_cursor(store) if held in (None, ident.hub.fingerprint) else 0
        path = f"/v1/summaries?after={after}&limit={PAGE}"

        def signed(path: str = path) -> dict[str, str]:
            return sign_request("GET", path, ident.device_id, ident.key, time.time() + offset)

        response = request(client, "GET", path, policy=policy, cancel=cancel, headers=signed)
        if len(response.content) > MAX_SUMMARY_PAGE_BYTES:
            raise _refused("the page is larger than any the hub sends")
        page = apply_page(store, response.content, ident, after=after)
        applied += len(page.entries)
        if page.complete or page.through <= after:
            break
    log.info("pulled %d client summary changes", applied)
    return applied


def import_file(store: Store, path: Path | str) -> SummaryPage:
    """A summaries file made by `outreach-hub summaries-export` (USB): the same checks."""
    ident = state.identity(store)
    file = Path(path)
    try:
        if file.stat().st_size > MAX_SUMMARY_PAGE_BYTES:
            raise _refused(f"{file.name} is larger than any summaries file")
        data = file.read_bytes()
    except OSError as exc:
        raise SyncError(f"cannot read {file}: {exc}", kind=SyncErrorKind.PROTOCOL) from None
    return apply_page(store, data, ident)
