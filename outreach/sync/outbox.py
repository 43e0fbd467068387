"""The outbox: records after the hub's watermark, sealed into batches that are kept until acked.

A batch is sealed once and stored before it is first sent, so every resend (after a timeout, a
crash, or by USB) carries the same bytes and the hub recognises it by id and hash.
"""

from __future__ import annotations

import datetime as dt
import logging

import msgspec

from outreach.store.connection import Connection
from outreach.store.purge import purge_prefix
from outreach.store.store import Store
from outreach.sync import state
from outreach.sync.envelope import read_header, seal
from outreach.sync.protocol import Receipt

log = logging.getLogger(__name__)
BATCH_SIZE = 1000


def pending_count(store: Store) -> int:
    return max(0, store.last_seq() - state.acked_through(store))


def next_batch(store: Store, ident: state.Identity, size: int = BATCH_SIZE) -> bytes | None:
    """The envelope for the records right after the watermark, sealing it if not sealed yet."""
    acked = state.acked_through(store)
    row = store.conn.execute(
        "SELECT envelope FROM outbox_batches WHERE first_seq = ?", (acked + 1,)
    ).fetchone()
    if row is not None:
        return bytes(row[0])
    pairs = _records_after(store, acked, size)
    if not pairs:
        return None
    if pairs[0][0] != acked + 1:
        log.warning("records %d..%d were purged before the hub acked them", acked + 1, pairs[0][0])
    envelope = _seal(store, ident, pairs)
    with store.transaction() as conn:
        conn.execute("DELETE FROM outbox_batches WHERE first_seq <= ?", (acked + 1,))
        _keep(conn, envelope, pairs)
    return envelope


def _records_after(store: Store, after: int, size: int) -> list[tuple[int, bytes]]:
    rows = store.conn.execute(
        "SELECT device_seq, body FROM records WHERE device_seq > ? ORDER BY device_seq LIMIT ?",
        (after, size),
    ).fetchall()
    return [(int(seq), bytes(body)) for seq, body in rows]


def _seal(store: Store, ident: state.Identity, pairs: list[tuple[int, bytes]]) -> bytes:
    """Seal store-seq pairs under the device's wire seqs (counted from its enrolment)."""
    base = state.seq_base(store)
    wire = [(seq - base, body) for seq, body in pairs]
    return seal(ident.device_id, wire, ident.hub.kem_public(), ident.key)


def _keep(conn: Connection, envelope: bytes, pairs: list[tuple[int, bytes]]) -> None:
    """Store a sealed batch so every resend carries the same bytes."""
    conn.execute(
        "INSERT INTO outbox_batches (batch_id, first_seq, last_seq, created_at, envelope) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            _batch_id(envelope),
            pairs[0][0],
            pairs[-1][0],
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            envelope,
        ),
    )


def _batch_id(envelope: bytes) -> str:
    return read_header(envelope).batch_id


def seal_all(store: Store, ident: state.Identity, size: int = BATCH_SIZE) -> list[bytes]:
    """Every pending batch in order (for a USB copy); the watermark waits for a receipt."""
    envelopes: list[bytes] = []
    acked = state.acked_through(store)
    cursor = acked
    while True:
        row = store.conn.execute(
            "SELECT envelope, last_seq FROM outbox_batches WHERE first_seq = ?", (cursor + 1,)
        ).fetchone()
        if row is None:
            pairs = _records_after(store, cursor, size)
            if not pairs:
                return envelopes
            envelope = _seal(store, ident, pairs)
            with store.transaction() as conn:
                _keep(conn, envelope, pairs)
            row = (envelope, pairs[-1][0])
        envelopes.append(bytes(row[0]))
        cursor = int(row[1])


def apply_receipt(store: Store, receipt: Receipt, signed: bytes) -> int:
    """Record a verified receipt and move the watermark; returns the new acked_through (store
    seqs: the receipt's wire seqs plus `seq_base`)."""
    with store.transaction() as conn:
        hub_acked = receipt.acked_through + state.seq_base(store)
        acked = max(state.acked_through(store), min(hub_acked, store.last_seq()))
        conn.execute(
            "INSERT OR IGNORE INTO receipts "
            "(batch_id, received_at, acked_through, accepted, quarantined, body) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                receipt.batch_id,
                receipt.received_at,
                receipt.acked_through,
                receipt.accepted,
                receipt.quarantined,
                signed,
            ),
        )
        store.set_meta(state.ACKED, str(acked))
        conn.execute("DELETE FROM outbox_batches WHERE last_seq <= ?", (acked,))
    return acked


def purge_synced(store: Store, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete records older than the retention period, but only those a receipt covers; stock
    on hand and past counts stay as they were (`outreach.store.purge`)."""
    if retention_days <= 0:
        return 0
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
    count = purge_prefix(store, state.acked_through(store), cutoff)
    if count:
        log.info("purged %d synced records older than %d days", count, retention_days)
    return count


def decode_receipt_row(body: bytes) -> dict[str, object]:
    return dict(msgspec.json.decode(body))
