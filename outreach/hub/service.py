"""The hub's work, free of HTTP: enrol and revoke devices, ingest sealed batches, count.

The FastAPI app and the `outreach-hub` command both call this, so a batch imported from a USB
file is handled exactly like one uploaded over HTTPS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.dialects import postgresql, sqlite

from outreach.domain import facts as fact_projection
from outreach.domain.client_code import new_service_key
from outreach.domain.facts import Fact
from outreach.domain.records import Record, decode_record
from outreach.domain.validation import validate
from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.errors import InvalidRecord, OutreachError
from outreach.hub import db
from outreach.hub.keys import HubKeys
from outreach.store.counts import count_query
from outreach.sync.envelope import EnvelopeError, envelope_hash, open_envelope, read_header
from outreach.sync.protocol import (
    EnrolmentCode,
    EnrolRequest,
    EnrolResponse,
    ProtocolError,
    Receipt,
    Reference,
    SignedReceipt,
    b64d,
    b64e,
)

log = logging.getLogger(__name__)
ROLES = ("worker", "pharmacy", "coordinator")
TOKEN_DAYS = 7
Checked = tuple[int, bytes, Record]  # seq, record bytes, record
PROJECT_CHUNK = 2000
FUTURE_SKEW = dt.timedelta(days=1)  # device clocks run ahead; the domain rule allows minutes


class HubError(OutreachError):
    """A request the hub refuses; `status` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadEnvelope(HubError):
    code = "bad_envelope"


class UnknownDevice(HubError):
    status = 403
    code = "unknown_device"


class DeviceRevoked(HubError):
    status = 403
    code = "revoked"


class BatchConflict(HubError):
    status = 409
    code = "conflict"


class SeqReused(BatchConflict):
    """A batch reuses device seqs that already hold other records (an old store copy)."""


class BadToken(HubError):
    status = 403
    code = "bad_token"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Hub:
    def __init__(self, engine: sa.Engine, keys: HubKeys) -> None:
        self.engine = engine
        self.keys = keys
        self.public_url = ""
        self.tls_fingerprint: str | None = None
        # SQLite has one writer: serialising ingest here avoids busy-retries under load.
        self._write_lock = threading.Lock() if db.is_sqlite(engine) else None
        self._reference: Reference | None = None
        self._vocab: Vocabulary | None = None
        self.stored = threading.Event()  # set after each batch: wakes the projector

    # -- set-up ------------------------------------------------------------------------------

    def initialise(self) -> None:
        """Create the tables and, once, the service key devices use for client codes."""
        db.create_schema(self.engine)
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(db.hub_meta.c.value).where(db.hub_meta.c.key == "reference")
            ).first()
            if found is None:
                reference = Reference(service_key=new_service_key().hex())
                conn.execute(
                    sa.insert(db.hub_meta).values(
                        key="reference", value=msgspec.json.encode(reference).decode()
                    )
                )

    def reference(self) -> Reference:
        if self._reference is None:
            with self.engine.connect() as conn:
                value = conn.execute(
                    sa.select(db.hub_meta.c.value).where(db.hub_meta.c.key == "reference")
                ).scalar_one_or_none()
            if value is None:
                raise HubError("the hub database is not initialised: run 'outreach-hub init'")
            self._reference = msgspec.json.decode(value, type=Reference)
        return self._reference

    def set_reference(self, reference: Reference) -> None:
        """Replace code list additions, products and retention (keeps the service key)."""
        if not reference.service_key:
            reference = msgspec.structs.replace(reference, service_key=self.reference().service_key)
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(db.hub_meta)
                .where(db.hub_meta.c.key == "reference")
                .values(value=msgspec.json.encode(reference).decode())
            )
        self._reference, self._vocab = reference, None

    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            ref = self.reference()
            self._vocab = base_vocabulary().merged(ref.lists, ref.products)
        return self._vocab

    # -- enrolment ---------------------------------------------------------------------------

    def new_enrolment(self, url: str, label: str = "", days: int = TOKEN_DAYS) -> EnrolmentCode:
        """A one-time code naming this hub, pinning its keys (and TLS certificate if given)."""
        token = secrets.token_urlsafe(18)
        now = dt.datetime.now(dt.UTC)
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(db.enrol_tokens).values(
                    token_hash=_token_hash(token),
                    label=label,
                    created_at=now.isoformat(timespec="seconds"),
                    expires_at=(now + dt.timedelta(days=days)).isoformat(timespec="seconds"),
                )
            )
        return EnrolmentCode(url.rstrip("/"), token, self.keys.fingerprint, self.tls_fingerprint)

    def enrol(self, request: EnrolRequest) -> EnrolResponse:
        try:
            public = b64d(request.device_key)
        except ProtocolError:
            raise HubError("malformed device key or id") from None
        if len(public) != 32 or not request.device_id or len(request.device_id) > 64:
            raise HubError("malformed device key or id")
        if request.role not in ROLES:
            raise HubError(f"unknown role '{request.role}'")
        with self.engine.begin() as conn:
            token = conn.execute(
                sa.select(db.enrol_tokens).where(
                    db.enrol_tokens.c.token_hash == _token_hash(request.token)
                )
            ).first()
            if token is None or token.expires_at < _now():
                raise BadToken("the enrolment code is unknown or has expired")
            if token.device_id not in (None, request.device_id):
                raise BadToken("the enrolment code was already used by another device")
            existing = conn.execute(
                sa.select(db.devices).where(db.devices.c.device_id == request.device_id)
            ).first()
            if existing is not None and token.device_id is None:
                raise BadToken("this device is already enrolled")
            if existing is not None and existing.public_key != public:
                raise BadToken("the enrolment code was already used with another key")
            if existing is None:
                conn.execute(
                    sa.insert(db.devices).values(
                        device_id=request.device_id,
                        public_key=public,
                        label=token.label,
                        role=request.role,
                        enrolled_at=_now(),
                    )
                )
                conn.execute(
                    sa.update(db.enrol_tokens)
                    .where(db.enrol_tokens.c.token_hash == token.token_hash)
                    .values(device_id=request.device_id)
                )
        log.info("enrolled device %s", request.device_id)
        return EnrolResponse(
            request.device_id,
            b64e(self.keys.kem_public),
            b64e(self.keys.sign_public),
            self.reference(),
        )

    def revoke(self, device_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(db.devices)
                .where(db.devices.c.device_id == device_id)
                .values(revoked_at=_now())
            )
        if done.rowcount == 0:
            raise UnknownDevice(f"no device {device_id}")
        log.info("revoked device %s", device_id)

    def device_key(self, device_id: str) -> Ed25519PublicKey:
        """The device's key for an authenticated request; refuses unknown and revoked devices."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(db.devices.c.public_key, db.devices.c.revoked_at).where(
                    db.devices.c.device_id == device_id
                )
            ).first()
        if row is None:
            raise UnknownDevice("this device is not enrolled with the hub")
        if row.revoked_at is not None:
            raise DeviceRevoked("this device has been revoked")
        return Ed25519PublicKey.from_public_bytes(row.public_key)

    def list_devices(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(db.devices).order_by(db.devices.c.enrolled_at))
            return [{k: v for k, v in row._mapping.items() if k != "public_key"} for row in rows]

    # -- ingest ------------------------------------------------------------------------------

    def ingest(self, envelope: bytes, via: str = "https") -> bytes:
        """Store one batch; returns the signed receipt (JSON bytes), the original on a replay."""
        try:
            header = read_header(envelope)
            opened = open_envelope(envelope, self.device_key(header.device_id), self.keys.kem)
        except EnvelopeError as exc:
            log.warning("refused a batch: %s", exc)
            raise BadEnvelope(str(exc)) from None
        digest = envelope_hash(envelope)
        previous = self._existing(header.batch_id, digest)
        if previous is not None:
            return previous
        good, bad = self._check(opened.records)
        if self._write_lock is None:
            return self._store(header, envelope, digest, via, good, bad)
        with self._write_lock:
            return self._store(header, envelope, digest, via, good, bad)

    def _existing(self, batch_id: str, digest: str) -> bytes | None:
        """The stored receipt of a replayed batch; other bytes under the same id are refused."""
        columns = (db.batches.c.sha256, db.batches.c.receipt, db.batches.c.device_id)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(*columns).where(db.batches.c.batch_id == batch_id)).first()
        if row is None:
            return None
        if row.sha256 != digest:
            self._alert("batch_conflict", row.device_id, f"batch {batch_id} resent with new bytes")
            raise BatchConflict(f"batch {batch_id} was already received with different content")
        return bytes(row.receipt)

    def _alert(self, kind: str, device_id: str | None, detail: str) -> None:
        log.warning("hub alert %s: %s", kind, detail)
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(db.alerts).values(
                    at=_now(), kind=kind, device_id=device_id, detail=detail
                )
            )

    def _check(
        self, pairs: Sequence[tuple[int, bytes]]
    ) -> tuple[list[Checked], list[tuple[int, bytes, str]]]:
        """Validate every record; the invalid ones are quarantined, never the whole batch."""
        vocab = self.vocabulary()
        now = dt.datetime.now(dt.UTC) + FUTURE_SKEW
        good: list[Checked] = []
        bad: list[tuple[int, bytes, str]] = []
        for seq, body in pairs:
            try:
                record = decode_record(body)
                validate(record, now=now, vocab=vocab)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                bad.append((seq, body, f"undecodable record: {exc}"))
            except InvalidRecord as exc:
                bad.append((seq, body, str(exc)))
            else:
                good.append((seq, body, record))
        return good, bad

    def _bulk(
        self,
        conn: sa.Connection,
        table: sa.Table,
        rows: list[dict[str, Any]],
        *,
        ignore_conflicts: bool = False,
    ) -> None:
        """executemany straight to the driver: SQLAlchemy's per-row parameter handling
        cost more than the inserts themselves (a third of ingest time at 1,000 rows)."""
        columns = list(rows[0])
        mark = "?" if db.is_sqlite(self.engine) else "%s"
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})"
            + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
        )
        conn.exec_driver_sql(sql, [tuple(row[c] for c in columns) for row in rows])

    def _insert(self, table: sa.Table) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    def _store(
        self,
        header: Any,
        envelope: bytes,
        digest: str,
        via: str,
        good: list[Checked],
        bad: list[tuple[int, bytes, str]],
    ) -> bytes:
        device_id, batch_id = header.device_id, header.batch_id
        try:
            with self.engine.begin() as conn:
                claimed = conn.execute(
                    self._insert(db.batches)
                    .values(
                        batch_id=batch_id,
                        device_id=device_id,
                        first_seq=header.first_seq,
                        last_seq=header.last_seq,
                        sha256=digest,
                        received_at=_now(),
                        via=via,
                        envelope=envelope,
                        receipt=b"",
                    )
                    .on_conflict_do_nothing()
                )
                if claimed.rowcount == 0:  # a concurrent upload of the same batch won the race
                    conn.rollback()
                    previous = self._existing(batch_id, digest)
                    if previous is None:
                        raise HubError("batch vanished during a concurrent upload")
                    return previous
                inserted = self._insert_records(conn, device_id, batch_id, good)
                if bad:
                    conn.execute(
                        self._insert(db.quarantine).on_conflict_do_nothing(),
                        [
                            {
                                "batch_id": batch_id,
                                "device_seq": seq,
                                "device_id": device_id,
                                "error": error,
                                "body": body,
                            }
                            for seq, body, error in bad
                        ],
                    )
                acked = self._advance(conn, device_id)
                receipt = Receipt(
                    batch_id=batch_id,
                    device_id=device_id,
                    first_seq=header.first_seq,
                    last_seq=header.last_seq,
                    acked_through=acked,
                    accepted=len(inserted),
                    quarantined=len(bad),
                    duplicates=len(good) - len(inserted),
                    received_at=_now(),
                    envelope_sha256=digest,
                )
                body = msgspec.json.encode(SignedReceipt.make(receipt, self.keys.sign))
                conn.execute(
                    sa.update(db.batches)
                    .where(db.batches.c.batch_id == batch_id)
                    .values(receipt=body)
                )
        except SeqReused as exc:  # alert only after the batch's transaction rolled back
            self._alert("seq_reused", device_id, f"batch {batch_id}: {exc}")
            raise
        self.stored.set()
        log.info(
            "batch %s from %s: %d accepted, %d quarantined",
            batch_id,
            device_id,
            len(inserted),
            len(bad),
        )
        return body

    def _insert_records(
        self,
        conn: sa.Connection,
        device_id: str,
        batch_id: str,
        good: list[Checked],
    ) -> set[str]:
        if not good:
            return set()
        rows: list[dict[str, Any]] = [
            {
                "id": record.id,
                "device_id": device_id,
                "device_seq": seq,
                "type": record.type,
                "occurred_at": record.occurred_at.isoformat(),
                "batch_id": batch_id,
                "body": body,
            }
            for seq, body, record in good
        ]
        self._refuse_reused_seqs(conn, device_id, batch_id, good)
        ids = [record.id for _, _, record in good]
        known = {
            row[0]
            for start in range(0, len(ids), 500)
            for row in conn.execute(
                sa.select(db.records.c.id).where(db.records.c.id.in_(ids[start : start + 500]))
            )
        }
        fresh = [row for row in rows if row["id"] not in known]
        if fresh:
            # DO NOTHING still guards a concurrent batch holding the same ids (PostgreSQL).
            self._bulk(conn, db.records, fresh, ignore_conflicts=True)
        inserted = {str(row["id"]) for row in fresh}
        if inserted:
            self._bulk(conn, db.pending_facts, [{"id": rid} for rid in inserted])
        return inserted

    def _refuse_reused_seqs(
        self, conn: sa.Connection, device_id: str, batch_id: str, good: list[Checked]
    ) -> None:
        """A seq that already holds another record means the device's store went back in time
        (an old copy restored): merging would drop records, so the whole batch is refused."""
        seqs = [seq for seq, _, _ in good]
        held = dict(
            conn.execute(
                sa.select(db.records.c.device_seq, db.records.c.id).where(
                    db.records.c.device_id == device_id,
                    db.records.c.device_seq.between(min(seqs), max(seqs)),
                )
            ).all()
        )
        clashes = [seq for seq, _, record in good if held.get(seq, record.id) != record.id]
        if clashes:
            raise SeqReused(
                f"seq {clashes[0]} of this device already holds another record: the store was "
                "restored from an old copy; nothing from this batch was stored"
            )

    def project_pending(self) -> int:
        """Project stored records into the facts tables; returns how many were projected.

        Runs after receipts have gone out (the projector thread) and before any count, so the
        counts always include every stored record. The CPU work happens outside the write
        transaction; the transaction claims the ids first, so concurrent projectors (several
        workers) never project a record twice.
        """
        done = 0
        # Driven from the (short) queue: a plain join let SQLite scan all of `records` per round.
        waiting = sa.select(db.pending_facts.c.id).limit(PROJECT_CHUNK).scalar_subquery()
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(db.records.c.id, db.records.c.body).where(
                        db.records.c.id.in_(waiting)
                    )
                ).all()
            if not rows:
                return done
            records = [decode_record(bytes(body)) for _, body in rows]
            projected = [(record, fact_projection.project(record)) for record in records]
            if self._write_lock is None:
                done += self._claim_and_project(projected)
            else:
                with self._write_lock:
                    done += self._claim_and_project(projected)

    def _claim_and_project(self, projected: list[tuple[Record, Fact | None]]) -> int:
        ids = [record.id for record, _ in projected]
        with self.engine.begin() as conn:
            claimed = set(
                conn.execute(
                    sa.delete(db.pending_facts)
                    .where(db.pending_facts.c.id.in_(ids))
                    .returning(db.pending_facts.c.id)
                ).scalars()
            )
            mine = [(record, fact) for record, fact in projected if record.id in claimed]
            if mine:
                self._project(conn, mine)
        return len(mine)

    def _project(self, conn: sa.Connection, new: list[tuple[Record, Fact | None]]) -> None:
        """Facts for newly stored records; voids and corrections retire their targets."""
        retirements = [
            {"id": target, "by_id": record.id}
            for record, _ in new
            if (target := fact_projection.retired_id(record)) is not None
        ]
        if retirements:
            conn.execute(self._insert(db.retired).on_conflict_do_nothing(), retirements)
            conn.execute(
                sa.update(db.facts)
                .where(db.facts.c.id.in_([r["id"] for r in retirements]))
                .values(active=0)
            )
        projected = [(record, fact) for record, fact in new if fact is not None]
        if not projected:
            return
        ids = [record.id for record, _ in projected]
        retired_ids = {
            row[0]
            for row in conn.execute(sa.select(db.retired.c.id).where(db.retired.c.id.in_(ids)))
        }
        fact_rows = []
        for record, fact in projected:
            row = dict(fact.row)
            row["active"] = 0 if record.id in retired_ids else 1
            row["serial"] = getattr(record, "serial", None)
            row["fact"] = db.fact_key(record.id)
            fact_rows.append(row)
        self._bulk(conn, db.facts, fact_rows)
        items = [
            {"fact": row["fact"], "field": field, "value": value}
            for row, (_, fact) in zip(fact_rows, projected, strict=True)
            for field, value in fact.items
        ]
        if items:
            self._bulk(conn, db.fact_items, items)

    def _advance(self, conn: sa.Connection, device_id: str) -> int:
        """The device's watermark: the highest seq such that every seq up to it has arrived."""
        acked = conn.execute(
            sa.select(db.devices.c.acked_through)
            .where(db.devices.c.device_id == device_id)
            .with_for_update()
        ).scalar_one()
        start = acked
        while True:
            reach = conn.execute(
                sa.select(sa.func.max(db.batches.c.last_seq)).where(
                    db.batches.c.device_id == device_id,
                    db.batches.c.first_seq <= acked + 1,
                    db.batches.c.last_seq > acked,
                )
            ).scalar_one_or_none()
            if reach is None:
                break
            acked = int(reach)
        if acked != start:
            conn.execute(
                sa.update(db.devices)
                .where(db.devices.c.device_id == device_id)
                .values(acked_through=acked)
            )
        return int(acked)

    # -- counts ------------------------------------------------------------------------------

    def counts(
        self, by: Sequence[str], start: dt.date, end: dt.date, kind: str | None = None
    ) -> list[dict[str, Any]]:
        sql, params, _ = count_query(by, start, end, kind, layout="text")
        self.project_pending()
        with self.engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            return [dict(row._mapping) for row in result]

    def record_total(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(db.records)).scalar_one()
            )
