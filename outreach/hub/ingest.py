"""Storing one checked batch, in one transaction: the one description of what that does.

Everything that needs no database (signature, decryption, validation, the facts rows) is done
before, by `Hub.check`, so on SQLite the single writer holds its lock only for the writes. Then,
in this order, on both backends:

1. the device: unknown or revoked refuses the batch (checked here, in the transaction, though
   its key may come from a cache);
2. the quarantine cap: invalid records that would pass the device's or the hub's cap refuse the
   batch before it is claimed (a replay, already claimed, still gets its receipt);
3. the claim: the batch id goes into `batches` with the raw envelope; taken already means a
   replay (the stored receipt) or, with other bytes, a conflict (`Hub._existing`);
4. reused seqs: a seq holding another record, or other bytes than a stored or quarantined one,
   refuses the whole batch (the device's store went back in time);
5. quarantine: the invalid records, and their bytes on the device's count;
6. records: those the hub does not hold yet (duplicates are counted, not stored);
7. projection: voids and corrections retire their targets, new records get facts rows, each on
   the key its id asks for or the next free (`projection.py`); then the client summaries of
   the codes the batch touches are recomputed (`summaries.py`);
8. the watermark: the highest seq up to which every seq has arrived (`_advance`);
9. the signed receipt, kept in `batches.receipt`, and COMMIT.

SQLite runs these as statements here (`_store`); PostgreSQL as one function call,
`outreach_store_batch` (`migrations/h0003_pg_functions.py`, its steps in the same order), made
in a thread (`store`: the `import` command, large batches) or awaited on the event loop
(`store_async`: the app); both then sign and keep the receipt with `_receipt`.
`tests/hub/test_backend_parity.py` runs the same scenarios through both and compares the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import msgspec
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.hub import db, pg_store, summaries
from outreach.hub.errors import DeviceRevoked, HubError, QuarantineFull, SeqReused, UnknownDevice
from outreach.hub.limits import (
    QUARANTINE_BYTES_PER_DEVICE,
    QUARANTINE_BYTES_TOTAL,
    quarantine_bytes,
)
from outreach.hub.projection import Projected, project
from outreach.hub.sql import Sql
from outreach.sync.envelope import Header
from outreach.sync.protocol import Receipt, SignedReceipt

if TYPE_CHECKING:
    import psycopg

    from outreach.hub.pg_async import AsyncPool

Checked = tuple[int, bytes, Projected]  # seq, record bytes, the record and its facts
_Row = tuple[str, int, int, "int | None"]  # outreach_store_batch's answer, as `Stored`
Refused = tuple[int, bytes, str]  # seq, record bytes, why it was quarantined
ID_CHUNK = 500

_CLAIM = (
    "INSERT INTO batches (batch_id, device_id, first_seq, last_seq, sha256, received_at, via, "
    "envelope, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_KEEP_RECEIPT = "UPDATE batches SET receipt = ? WHERE batch_id = ?"
_HELD = "SELECT device_seq, id FROM records WHERE device_id = ? AND device_seq BETWEEN ? AND ?"
_HELD_BODIES = (
    "SELECT device_seq, body FROM records WHERE device_id = ? AND device_seq BETWEEN ? AND ?"
)
_QUARANTINED = (
    "SELECT device_seq, body FROM quarantine WHERE device_id = ? AND device_seq BETWEEN ? AND ?"
)
# Batches that start in a seq window: each step of the watermark reads only those (see _advance).
_STARTING = "SELECT max(last_seq) FROM batches WHERE device_id = ? AND first_seq BETWEEN ? AND ?"
_DEVICE = "SELECT acked_through, revoked_at, quarantine_bytes FROM devices WHERE device_id = ?"
_QUARANTINE_TOTAL = "SELECT coalesce(sum(quarantine_bytes), 0) FROM devices"


def now() -> str:
    """The hub's timestamps: UTC, to the second, ISO text (sorts as text on both databases)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Stored(NamedTuple):
    """What storing did: `status` is stored, claimed (the batch id was taken first), revoked,
    unknown (no such device), seq_reused (`clash` is the first seq holding another record) or
    quarantine_full (the device's or the hub's quarantine cap would be passed)."""

    status: str
    accepted: int
    acked_through: int
    clash: int | None = None


class CheckedBatch(NamedTuple):
    """A batch opened and checked (`Hub.ingest`), ready to store."""

    header: Header
    envelope: bytes
    digest: str
    via: str
    good: Sequence[Checked]
    bad: Sequence[Refused]
    # The reference revision whose lists checked the records (`reference_watch`): a batch with
    # invalid records stored after the lists changed has its quarantine re-checked.
    revision: int = 0

    def claim(self) -> Claim:
        """The batches row that claims the batch id."""
        header = self.header
        first, last = header.first_seq, header.last_seq
        return (
            header.batch_id,
            header.device_id,
            first,
            last,
            self.digest,
            now(),
            self.via,
            self.envelope,
        )


Claim = tuple[str, str, int, int, str, str, str, bytes]


class BatchWriter:
    def __init__(self, engine: sa.Engine, sign_key: Ed25519PrivateKey) -> None:
        self.engine = engine
        self.sign_key = sign_key
        self.sql = Sql(engine)

    def store(self, batch: CheckedBatch) -> bytes | None:
        """The signed receipt (JSON); None if another upload of the same batch came first.

        The device is checked again here, in the transaction: its key may come from a cache,
        and a revocation must stop the very next batch."""
        with self.engine.begin() as conn:
            if self.sql.postgres:
                return self._store_postgres(conn, batch)
            stored = self._store(conn, batch.claim(), batch.good, batch.bad)
            body = self._receipt(batch, stored)
            if body is None:
                conn.rollback()
                return None
            self.sql.run(conn, _KEEP_RECEIPT, (body, batch.header.batch_id))
        return body

    def _store_postgres(self, conn: sa.Connection, batch: CheckedBatch) -> bytes | None:
        """Two round trips in psycopg's pipeline mode: BEGIN with the function call, then the
        receipt with COMMIT."""
        raw = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
        with raw.pipeline():
            cursor = raw.execute(*pg_store.batch_call(batch.claim(), batch.good, batch.bad))
            inputs = raw.execute(*summaries.inputs_call(item.record for _, _, item in batch.good))
            body = self._receipt(batch, Stored(*cast(_Row, cursor.fetchone())))
            if body is None:
                raw.rollback()
                return None
            changed = summaries.changes(inputs.fetchall(), known=summaries.known(batch.good))
            if changed:
                raw.execute(*summaries.put_call(changed))
            raw.execute(self.sql.text(_KEEP_RECEIPT), (body, batch.header.batch_id))
            raw.commit()
        return body

    async def store_async(self, pool: AsyncPool, batch: CheckedBatch) -> bytes | None:
        """`store` on PostgreSQL, awaiting the server on the event loop (see `pg_async`)."""
        async with pool.connection() as conn, conn.pipeline():
            cursor = await conn.execute(*pg_store.batch_call(batch.claim(), batch.good, batch.bad))
            records = (item.record for _, _, item in batch.good)
            inputs = await conn.execute(*summaries.inputs_call(records))
            body = self._receipt(batch, Stored(*cast(_Row, await cursor.fetchone())))
            if body is None:
                await conn.rollback()
                return None
            changed = summaries.changes(await inputs.fetchall(), known=summaries.known(batch.good))
            if changed:
                await conn.execute(*summaries.put_call(changed))
            await conn.execute(self.sql.text(_KEEP_RECEIPT), (body, batch.header.batch_id))
            await conn.commit()
        return body

    def _receipt(self, batch: CheckedBatch, stored: Stored) -> bytes | None:
        """The signed receipt for a stored batch; raises for a refused one (the transaction
        then rolls back), None if the batch id was claimed first (a replay)."""
        if stored.status != "stored":
            _refuse(stored, batch.header.device_id)
            return None
        header = batch.header
        receipt = Receipt(
            batch_id=header.batch_id,
            device_id=header.device_id,
            first_seq=header.first_seq,
            last_seq=header.last_seq,
            acked_through=stored.acked_through,
            accepted=stored.accepted,
            quarantined=len(batch.bad),
            duplicates=len(batch.good) - stored.accepted,
            received_at=now(),
            envelope_sha256=batch.digest,
        )
        return msgspec.json.encode(SignedReceipt.make(receipt, self.sign_key))

    def _store(
        self,
        conn: sa.Connection,
        claim: Claim,
        good: Sequence[Checked],
        bad: Sequence[Refused],
    ) -> Stored:
        """SQLite, statement by statement (`pg_store` does the same in one call)."""
        sql, batch_id, device_id = self.sql, claim[0], claim[1]
        device = sql.rows(conn, _DEVICE, (device_id,))  # the steps: see the module docstring
        if not device:  # 1
            return Stored("unknown", 0, 0)
        acked, revoked_at, held_bytes = device[0]
        if revoked_at is not None:
            return Stored("revoked", 0, 0)
        added = quarantine_bytes(bad)
        if bad and self._quarantine_full(conn, held_bytes, added, batch_id):  # 2
            return Stored("quarantine_full", 0, 0)
        if sql.run(conn, _CLAIM, (*claim, b"")) == 0:  # 3
            return Stored("claimed", 0, 0)
        clash = self._reused_seq(conn, device_id, good, bad, quarantined=held_bytes > 0)  # 4
        if clash is not None:
            return Stored("seq_reused", 0, 0, clash)
        if bad:  # 5
            sql.insert(
                conn,
                db.quarantine,
                ("batch_id", "device_seq", "device_id", "error", "body"),
                [(batch_id, seq, device_id, error, body) for seq, body, error in bad],
                ignore_conflicts=True,
            )
            sql.run(
                conn,
                "UPDATE devices SET quarantine_bytes = quarantine_bytes + ? WHERE device_id = ?",
                (added, device_id),
            )
        new = self._records(conn, device_id, batch_id, good)  # 6
        project(sql, conn, new)  # 7 (8 is `_advance`, below)
        known = summaries.known(good)
        summaries.upkeep_sqlite(sql, conn, [item.record for item in new], known)  # 7b
        return Stored("stored", len(new), self._advance(conn, device_id, int(acked), claim))

    def _quarantine_full(self, conn: sa.Connection, held: int, added: int, batch_id: str) -> bool:
        """Whether quarantining `added` bytes passes the device's or the hub's cap; checked
        before the batch is claimed, and a replay (already claimed) still gets its receipt."""
        if held + added <= QUARANTINE_BYTES_PER_DEVICE:
            total = self.sql.rows(conn, _QUARANTINE_TOTAL)[0][0]
            if total + added <= QUARANTINE_BYTES_TOTAL:
                return False
        return not self.sql.rows(conn, "SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,))

    def _records(
        self, conn: sa.Connection, device_id: str, batch_id: str, good: Sequence[Checked]
    ) -> list[Projected]:
        """Store the records this hub does not hold yet; returns them (first of each id)."""
        if not good:
            return []
        ids = [item.record.id for _, _, item in good]
        known: set[str] = set()
        for start in range(0, len(ids), ID_CHUNK):
            where, params = self.sql.in_list("id", ids[start : start + ID_CHUNK])
            known.update(
                row[0]
                for row in self.sql.rows(conn, f"SELECT id FROM records WHERE {where}", params)
            )
        fresh: dict[str, Checked] = {}
        for checked in good:
            record_id = checked[2].record.id
            if record_id not in known and record_id not in fresh:
                fresh[record_id] = checked
        self.sql.insert(
            conn,
            db.records,
            ("id", "device_id", "device_seq", "type", "occurred_at", "batch_id", "body"),
            [
                (record_id, device_id, seq, item.type, item.occurred_at, batch_id, body)
                for record_id, (seq, body, item) in fresh.items()
            ],
            ignore_conflicts=True,
        )
        return [item for _, _, item in fresh.values()]

    def _reused_seq(
        self,
        conn: sa.Connection,
        device_id: str,
        good: Sequence[Checked],
        bad: Sequence[Refused],
        *,
        quarantined: bool,
    ) -> int | None:
        """The first seq that already holds another record, if any: a stored record with
        another id, or other bytes than a stored or quarantined one at that seq. (Quarantine
        is looked at only for a device that has some.)"""
        seqs = [seq for seq, _, _ in good] + [seq for seq, _, _ in bad]
        if not seqs:
            return None
        span = (device_id, min(seqs), max(seqs))
        clashes: list[int] = []
        if good:
            held = dict(self.sql.rows(conn, _HELD, span))
            clashes += [s for s, _, item in good if held.get(s, item.record.id) != item.record.id]
        if bad:
            held_bodies = {s: bytes(b) for s, b in self.sql.rows(conn, _HELD_BODIES, span)}
            clashes += [s for s, body, _ in bad if held_bodies.get(s, body) != body]
        if quarantined:
            kept = {s: bytes(b) for s, b in self.sql.rows(conn, _QUARANTINED, span)}
            incoming = [(s, body) for s, body, _ in good] + [(s, body) for s, body, _ in bad]
            clashes += [s for s, body in incoming if kept.get(s, body) != body]
        return min(clashes) if clashes else None

    def _advance(self, conn: sa.Connection, device_id: str, start: int, claim: Claim) -> int:
        """The device's watermark: the highest seq such that every seq up to it has arrived.

        It was maximal before this batch, so it moves only if this batch covers the next seq;
        then each step reads just the batches that start in the seqs the last step added. A
        device that leaves a gap costs one indexed look-up a batch, however many batches wait
        beyond it (a full read of those cost 26 ms a batch after 30,000)."""
        first, last = claim[2], claim[3]
        if not first <= start + 1 <= last:
            return start
        low, acked = start + 2, last
        while True:
            (reach,) = self.sql.rows(conn, _STARTING, (device_id, low, acked + 1))[0]
            if reach is None or reach <= acked:
                break
            low, acked = acked + 2, int(reach)
        self.sql.run(
            conn, "UPDATE devices SET acked_through = ? WHERE device_id = ?", (acked, device_id)
        )
        return acked


def _refuse(stored: Stored, device_id: str) -> None:
    """Raise for a refused batch; returns when the batch id was claimed first (a replay)."""
    if stored.status == "unknown":
        raise UnknownDevice("this device is not enrolled with the hub")
    if stored.status == "revoked":
        raise DeviceRevoked("this device has been revoked", device_id)
    if stored.status == "quarantine_full":
        raise QuarantineFull(
            "the hub keeps no more invalid records from this device (its quarantine is full): "
            "nothing from this batch was stored; your coordinator has been alerted"
        )
    if stored.status == "seq_reused":
        raise SeqReused(
            f"seq {stored.clash} of this device already holds another record: the store was "
            "restored from an old copy; nothing from this batch was stored"
        )
    if stored.status != "claimed":
        raise HubError(f"unexpected storing status {stored.status!r}")
