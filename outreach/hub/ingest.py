"""Storing one checked batch, in one transaction: claim the batch id, keep the raw envelope,
store the new records, quarantine the invalid ones, project the new records into the counts,
advance the device's watermark and keep the signed receipt.

Everything that needs no database (signature, decryption, validation, the facts rows) is done
before, by `Hub.ingest`, so on SQLite the single writer holds its lock only for the writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.hub import db
from outreach.hub.errors import SeqReused
from outreach.hub.projection import Projected, project
from outreach.hub.sql import Sql
from outreach.sync.envelope import Header
from outreach.sync.protocol import Receipt, SignedReceipt

Checked = tuple[int, bytes, Projected]  # seq, record bytes, the record and its facts
Refused = tuple[int, bytes, str]  # seq, record bytes, why it was quarantined
ID_CHUNK = 500

_CLAIM = (
    "INSERT INTO batches (batch_id, device_id, first_seq, last_seq, sha256, received_at, via, "
    "envelope, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_HELD = "SELECT device_seq, id FROM records WHERE device_id = ? AND device_seq BETWEEN ? AND ?"
_RANGES = (
    "SELECT first_seq, last_seq FROM batches WHERE device_id = ? AND last_seq > ? "
    "ORDER BY first_seq"
)


def now() -> str:
    """The hub's timestamps: UTC, to the second, ISO text (sorts as text on both databases)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class BatchWriter:
    def __init__(self, engine: sa.Engine, sign_key: Ed25519PrivateKey) -> None:
        self.engine = engine
        self.sign_key = sign_key
        self.sql = Sql(engine)

    def store(
        self,
        header: Header,
        envelope: bytes,
        digest: str,
        via: str,
        good: Sequence[Checked],
        bad: Sequence[Refused],
    ) -> bytes | None:
        """The signed receipt (JSON); None if a concurrent upload of the same batch won."""
        sql, device_id, batch_id = self.sql, header.device_id, header.batch_id
        with self.engine.begin() as conn:
            sql.projection_lock(conn, exclusive=any(item.retires for _, _, item in good))
            claim = (batch_id, device_id, header.first_seq, header.last_seq, digest, now(), via)
            if sql.run(conn, _CLAIM, (*claim, envelope, b"")) == 0:
                conn.rollback()
                return None
            new = self._records(conn, device_id, batch_id, good)
            sql.insert(
                conn,
                db.quarantine,
                ("batch_id", "device_seq", "device_id", "error", "body"),
                [(batch_id, seq, device_id, error, body) for seq, body, error in bad],
                ignore_conflicts=True,
            )
            project(sql, conn, new)
            receipt = Receipt(
                batch_id=batch_id,
                device_id=device_id,
                first_seq=header.first_seq,
                last_seq=header.last_seq,
                acked_through=self._advance(conn, device_id),
                accepted=len(new),
                quarantined=len(bad),
                duplicates=len(good) - len(new),
                received_at=now(),
                envelope_sha256=digest,
            )
            body = msgspec.json.encode(SignedReceipt.make(receipt, self.sign_key))
            sql.run(conn, "UPDATE batches SET receipt = ? WHERE batch_id = ?", (body, batch_id))
        return body

    def _records(
        self, conn: sa.Connection, device_id: str, batch_id: str, good: Sequence[Checked]
    ) -> list[Projected]:
        """Store the records this hub does not hold yet; returns them (first of each id)."""
        if not good:
            return []
        self._refuse_reused_seqs(conn, device_id, good)
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
        # DO NOTHING still guards a concurrent batch holding the same ids (PostgreSQL).
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

    def _refuse_reused_seqs(
        self, conn: sa.Connection, device_id: str, good: Sequence[Checked]
    ) -> None:
        """A seq that already holds another record means the device's store went back in time
        (an old copy restored): merging would drop records, so the whole batch is refused."""
        seqs = [seq for seq, _, _ in good]
        held = dict(self.sql.rows(conn, _HELD, (device_id, min(seqs), max(seqs))))
        clashes = [seq for seq, _, item in good if held.get(seq, item.record.id) != item.record.id]
        if clashes:
            raise SeqReused(
                f"seq {clashes[0]} of this device already holds another record: the store was "
                "restored from an old copy; nothing from this batch was stored"
            )

    def _advance(self, conn: sa.Connection, device_id: str) -> int:
        """The device's watermark: the highest seq such that every seq up to it has arrived."""
        lock = " FOR UPDATE" if self.sql.postgres else ""
        select = f"SELECT acked_through FROM devices WHERE device_id = ?{lock}"
        start = acked = int(self.sql.rows(conn, select, (device_id,))[0][0])
        for first, last in self.sql.rows(conn, _RANGES, (device_id, acked)):
            if first > acked + 1:
                break
            acked = max(acked, int(last))
        if acked != start:
            self.sql.run(
                conn,
                "UPDATE devices SET acked_through = ? WHERE device_id = ?",
                (acked, device_id),
            )
        return acked
