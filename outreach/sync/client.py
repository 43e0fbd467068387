"""`sync_now`: pull reference data, send sealed batches until the hub has acked everything, then
pull the client summaries that changed (`summary_pull`).

Runs on the thread that owns the store (the UI's store thread or the CLI). Each batch's receipt
is verified against the hub key pinned at enrolment before the watermark moves, so a crash at
any point resumes by resending the same sealed batch, which the hub answers with its receipt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

import httpx
import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.store.store import Store
from outreach.sync import outbox, revocation, state
from outreach.sync.enrolment import ReceiptInfo
from outreach.sync.envelope import envelope_hash, read_header
from outreach.sync.protocol import ProtocolError, Reference, SignedReceipt, sign_request
from outreach.sync.reference import retention_days
from outreach.sync.summary_pull import pull_summaries
from outreach.sync.transport import (
    DEFAULT_POLICY,
    RetryPolicy,
    RevocationClaim,
    Revoked,
    RouteMissing,
    make_client,
    request,
)
from outreach.sync.wipe import wipe_store

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
SUMMARIES_MISSING = "the hub is older and does not send the service's client history yet"


@dataclasses.dataclass(frozen=True)
class SyncResult:
    sent: int  # records sent in this run
    accepted: int
    quarantined: int
    acked_through: int
    pending: int
    receipts: list[ReceiptInfo]
    duplicates: int = 0
    purged: int = 0
    summaries: int = 0  # client summary changes pulled after the batches went up
    notes: tuple[str, ...] = ()  # what the user should know though the sync succeeded


def _malformed(what: str, exc: Exception) -> SyncError:
    return SyncError(f"the hub's {what} is malformed: {exc}", kind=SyncErrorKind.PROTOCOL)


def _pull_summaries(
    store: Store,
    client: httpx.Client,
    ident: state.Identity,
    offset: float,
    policy: RetryPolicy,
    cancel: threading.Event | None,
) -> tuple[int, tuple[str, ...]]:
    """`pull_summaries` after the batches went up. A hub older than the summary pull answers
    404: the batches are receipted, so the sync still succeeds, with a note saying so."""
    try:
        return pull_summaries(store, client, ident, offset, policy, cancel), ()
    except RouteMissing:
        log.info("the hub does not offer client summaries (an older hub)")
        return 0, (SUMMARIES_MISSING,)


def _clock_offset(
    client: httpx.Client, ident: state.Identity, policy: RetryPolicy, cancel: threading.Event | None
) -> float:
    """Seconds to add to the local clock for signed requests; also checks the hub's identity."""
    response = request(client, "GET", "/v1/health", policy=policy, cancel=cancel)
    try:
        health = msgspec.json.decode(response.content)
        hub, hub_time = str(health["hub"]), float(health["time"])
    except (msgspec.DecodeError, KeyError, TypeError, ValueError) as exc:
        raise _malformed("health answer", exc) from None
    if hub != ident.hub.fingerprint:
        raise SyncError("the hub's keys changed since enrolment", kind=SyncErrorKind.AUTH)
    return hub_time - time.time()


def pull_reference(
    store: Store,
    client: httpx.Client,
    ident: state.Identity,
    policy: RetryPolicy = DEFAULT_POLICY,
    cancel: threading.Event | None = None,
    offset: float | None = None,
) -> Reference:
    if offset is None:
        offset = _clock_offset(client, ident, policy, cancel)
    path = "/v1/reference"
    response = request(
        client,
        "GET",
        path,
        policy=policy,
        cancel=cancel,
        headers=lambda: sign_request("GET", path, ident.device_id, ident.key, time.time() + offset),
    )
    try:
        ref = msgspec.json.decode(response.content, type=Reference)
    except msgspec.DecodeError as exc:
        raise _malformed("reference data", exc) from None
    with store.transaction():
        state.save_reference(store, ref)
    return ref


def _send(
    store: Store,
    client: httpx.Client,
    envelope: bytes,
    ident: state.Identity,
    policy: RetryPolicy,
    cancel: threading.Event | None,
) -> tuple[ReceiptInfo, int, int]:
    header = read_header(envelope)
    try:
        response = request(
            client,
            "POST",
            "/v1/batches",
            policy=policy,
            cancel=cancel,
            content=envelope,
            headers=lambda: {"content-type": "application/octet-stream"},
        )
    except SyncError as exc:
        if exc.kind is SyncErrorKind.CONFLICT:
            raise _out_of_step(store, exc) from None
        raise
    try:
        receipt = msgspec.json.decode(response.content, type=SignedReceipt).verify(
            ident.hub.sign_public()
        )
    except (msgspec.DecodeError, ProtocolError) as exc:
        raise _malformed("receipt", exc) from None
    if receipt.batch_id != header.batch_id or receipt.envelope_sha256 != envelope_hash(envelope):
        raise SyncError("the receipt is for another batch", kind=SyncErrorKind.PROTOCOL)
    acked = outbox.apply_receipt(store, receipt, response.content)
    if acked < header.last_seq + state.seq_base(store):
        raise SyncError(
            f"the hub stored batch {header.first_seq}-{header.last_seq} but acks only {acked}",
            kind=SyncErrorKind.PROTOCOL,
        )
    info = ReceiptInfo(
        receipt.batch_id,
        dt.datetime.fromisoformat(receipt.received_at),
        receipt.acked_through,
        receipt.accepted,
        receipt.quarantined,
    )
    return info, header.count, receipt.duplicates


def _out_of_step(store: Store, refused: SyncError) -> SyncError:
    """The hub holds other records under this device's seqs (409): the store went back in time,
    most often a backup restored after later records were synced. Say so, and how to recover."""
    log.warning("hub refused a batch as an old copy's: %s", refused)
    with store.transaction():
        store.set_meta(state.OUT_OF_STEP, "1")
    return SyncError(
        "the hub already holds other records under this device's numbers: this store was "
        "probably restored from an older copy. Nothing has been deleted here, and records the "
        "hub has not acknowledged stay on this device. To send them, ask your coordinator for "
        "a new enrolment code and run: outreach sync --re-enrol CODE "
        f"(the hub said: {refused})",
        kind=SyncErrorKind.CONFLICT,
    )


def sync_now(
    store: Store,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    batch_size: int = outbox.BATCH_SIZE,
) -> SyncResult:
    """Sync everything pending; raises SyncError (the store is wiped first if kind is REVOKED,
    which only a revocation signed by the pinned hub key for this device can cause)."""
    ident = state.identity(store)
    receipts: list[ReceiptInfo] = []
    sent = duplicates = 0
    try:
        with make_client(ident.hub.url, ident.hub.cert_pem, policy) as client:
            offset = _clock_offset(client, ident, policy, cancel)
            pull_reference(store, client, ident, policy, cancel, offset)
            total = outbox.pending_count(store)
            if progress:
                progress(0, total)
            while (envelope := outbox.next_batch(store, ident, batch_size)) is not None:
                info, count, dup = _send(store, client, envelope, ident, policy, cancel)
                receipts.append(info)
                sent += count
                duplicates += dup
                if progress:
                    progress(min(sent, total), total)
            summaries, notes = _pull_summaries(store, client, ident, offset, policy, cancel)
    except RevocationClaim as claim:
        revocation.verify(claim.body, ident)  # raises SyncError(AUTH), wiping nothing, if not
        wipe_store(store)
        raise Revoked("the hub has revoked this device: its store has been wiped") from None
    except httpx.InvalidURL as exc:
        raise SyncError(f"bad hub URL: {exc}", kind=SyncErrorKind.PROTOCOL) from None
    purged = outbox.purge_synced(store, retention_days(store))
    with store.transaction():
        store.set_meta(state.LAST_SYNC, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return SyncResult(
        sent=sent,
        accepted=sum(r.accepted for r in receipts),
        quarantined=sum(r.quarantined for r in receipts),
        acked_through=state.acked_through(store),
        pending=outbox.pending_count(store),
        receipts=receipts,
        duplicates=duplicates,
        purged=purged,
        summaries=summaries,
        notes=notes,
    )


def hub_reachable(store: Store, timeout: float = 3.0) -> bool:
    """A cheap probe for automatic sync: is the enrolled hub answering right now?"""
    pins = state.hub_pins(store)
    return pins is not None and probe(pins, timeout)


def probe(pins: state.HubPins, timeout: float = 3.0) -> bool:
    """The network half of `hub_reachable`: needs no store, so it can run off the store thread."""
    policy = RetryPolicy(attempts=1, timeout=timeout)
    try:
        with make_client(pins.url, pins.cert_pem, policy) as client:
            return client.get("/v1/health").status_code == 200
    except httpx.HTTPError:
        return False
