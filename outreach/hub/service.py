"""The hub's work, free of HTTP: enrol and revoke devices, ingest sealed batches, count.

The FastAPI app and the `outreach-hub` command both call this, so a batch imported from a USB
file is handled exactly like one uploaded over HTTPS.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import msgspec
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from outreach.domain.client_code import new_service_key
from outreach.domain.vocab import Vocabulary
from outreach.hub import alerts, checks, db, enrolment, pending, quarantine, summaries
from outreach.hub.errors import (
    BadEnvelope,
    BadToken,
    BatchConflict,
    DeviceRevoked,
    HubError,
    QuarantineFull,
    SeqReused,
    UnknownDevice,
)
from outreach.hub.ingest import BatchWriter, Checked, CheckedBatch, Refused
from outreach.hub.ingest import now as _now
from outreach.hub.keys import HubKeys
from outreach.hub.limits import MAX_BATCH_PLAINTEXT, MAX_RECORD_BYTES
from outreach.hub.quarantine import Released
from outreach.hub.reference_watch import ReferenceWatch
from outreach.hub.sql import Sql
from outreach.hub.write_lock import WriteLock
from outreach.store.counts import Layout, count_query
from outreach.sync.envelope import (
    EnvelopeError,
    Header,
    PayloadTooLarge,
    envelope_hash,
    open_envelope,
    verify_header,
)
from outreach.sync.protocol import (
    EnrolmentCode,
    EnrolRequest,
    EnrolResponse,
    Reference,
    Revocation,
    RevokedBody,
    b64e,
)

if TYPE_CHECKING:
    from outreach.hub.pg_async import AsyncPool

log = logging.getLogger(__name__)
TOKEN_DAYS = 7
__all__ = [
    "BadEnvelope",
    "BadToken",
    "BatchConflict",
    "DeviceRevoked",
    "Hub",
    "HubError",
    "SeqReused",
    "UnknownDevice",
]
FUTURE_SKEW = dt.timedelta(days=1)  # device clocks run ahead; the domain rule allows minutes


def _alert_detail(batch: CheckedBatch, exc: HubError) -> str:
    return f"batch {batch.header.batch_id} ({len(batch.bad)} invalid records): {exc}"


class Hub:
    def __init__(self, engine: sa.Engine, keys: HubKeys) -> None:
        self.engine = engine
        self.keys = keys
        self.public_url = ""
        self.tls_fingerprint: str | None = None
        # SQLite has one writer: serialising ingest here avoids busy-retries under load.
        self._write_lock = WriteLock(engine.url.database) if db.is_sqlite(engine) else None
        self.references = ReferenceWatch(engine)  # re-read when any process changes it
        self.sql = Sql(engine)
        self._writer = BatchWriter(engine, keys.sign)
        self._device_keys: dict[str, Ed25519PublicKey] = {}
        self._async_pool: AsyncPool | None = None

    # -- set-up ------------------------------------------------------------------------------

    def initialise(self) -> None:
        """Create the tables and, once, the service key devices use for client codes."""
        self.upgrade()
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
        """The reference data as stored now (any process may have changed it)."""
        return self.references.reference(fresh=True)

    def set_reference(self, reference: Reference) -> Released:
        """Replace code list additions, products and retention (keeps the service key); every
        hub process sees it (`reference_watch`). Quarantined records are checked again with
        the new lists and those that now pass are stored and counted (`quarantine`)."""
        if not reference.service_key:
            reference = msgspec.structs.replace(reference, service_key=self.reference().service_key)
        self.references.write(reference)
        return self.recheck_quarantine()

    def recheck_quarantine(self) -> Released:
        """Release the quarantined records today's reference data accepts (`quarantine`)."""
        released = quarantine.recheck(self.engine, self.sql, self.vocabulary(), self._writing)
        if released.released:
            self._alert("quarantine_released", None, released.detail())
        return released

    def vocabulary(self) -> Vocabulary:
        return self.references.vocabulary()

    # -- enrolment ---------------------------------------------------------------------------

    def new_enrolment(
        self, url: str, label: str = "", days: int = TOKEN_DAYS, role: str = "worker"
    ) -> EnrolmentCode:
        """A one-time code for a device of `role` (`enrolment.new_code`)."""
        return enrolment.new_code(
            self.engine, self.keys, url, self.tls_fingerprint, label, days, role
        )

    def enrol(self, request: EnrolRequest) -> EnrolResponse:
        enrolment.enrol(self.engine, request)
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
        select = "SELECT public_key, revoked_at FROM devices WHERE device_id = ?"
        with self.engine.connect() as conn:
            rows = self.sql.rows(conn, select, (device_id,))
        if not rows:
            raise UnknownDevice("this device is not enrolled with the hub")
        public_key, revoked_at = rows[0]
        if revoked_at is not None:
            raise DeviceRevoked("this device has been revoked", device_id)
        return Ed25519PublicKey.from_public_bytes(bytes(public_key))

    def revoked_answer(self, device_id: str, detail: str) -> RevokedBody:
        """The 403 body for a revoked device: a revocation signed with the hub's receipt key and
        bound to the device's id and enrolled key, the only answer a device wipes itself for."""
        select = "SELECT public_key, revoked_at FROM devices WHERE device_id = ?"
        with self.engine.connect() as conn:
            public_key, revoked_at = self.sql.rows(conn, select, (device_id,))[0]
        revocation = Revocation(
            device_id, b64e(bytes(public_key)), self.keys.fingerprint, revoked_at
        )
        return RevokedBody.make(revocation, self.keys.sign, detail)

    def list_devices(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(db.devices).order_by(db.devices.c.enrolled_at))
            return [{k: v for k, v in row._mapping.items() if k != "public_key"} for row in rows]

    # -- ingest ------------------------------------------------------------------------------

    def ingest(self, envelope: bytes, via: str = "https") -> bytes:
        """Store one batch; returns the signed receipt (JSON bytes), the original on a replay."""
        return self.store(self.check(envelope, via))

    def check(
        self,
        envelope: bytes,
        via: str = "https",
        max_plaintext: int = MAX_BATCH_PLAINTEXT,
        header: Header | None = None,
    ) -> CheckedBatch:
        """Everything before storing that needs no database (but the device's key, cached):
        verify, decrypt within `max_plaintext`, validate, make the facts rows."""
        header = header or self.header(envelope)
        return self._open_and_check(header, envelope, via, max_plaintext)

    def store(self, batch: CheckedBatch, *, wait: bool = True) -> bytes:
        """Store a checked batch; returns its receipt. On SQLite with `wait=False`, raises
        `WriterBusy` at once if another batch holds the writer (the app's event loop must not
        wait for it)."""
        try:
            with self._writing(wait):
                body = self._writer.store(batch)
        except (SeqReused, QuarantineFull) as exc:  # alert after the transaction rolled back
            self._alert(exc.alert, batch.header.device_id, _alert_detail(batch, exc))
            raise
        self._recheck_if_changed(batch)
        return self._stored(batch, body)

    def _recheck_if_changed(self, batch: CheckedBatch) -> None:
        """A batch quarantined records checked with lists that changed before it was stored:
        `outreach-hub reference` may have re-checked the quarantine before they were in it,
        so check it again here (a primary-key read for a batch with invalid records)."""
        if batch.bad and self.references.changed_since(batch.revision):
            self.recheck_quarantine()

    async def store_async(self, batch: CheckedBatch) -> bytes:
        """`store` for the app on PostgreSQL: awaiting the server (`pg_async`) with no thread
        held per batch in flight. The seldom steps that use the engine (a replay, an alert)
        run in a thread."""
        if self._async_pool is None:
            from outreach.hub.pg_async import AsyncPool  # psycopg_pool: PostgreSQL hubs only

            self._async_pool = AsyncPool(self.engine)
        header = batch.header
        try:
            body = await self._writer.store_async(self._async_pool, batch)
        except (SeqReused, QuarantineFull) as exc:
            detail = _alert_detail(batch, exc)
            await anyio.to_thread.run_sync(self._alert, exc.alert, header.device_id, detail)
            raise
        if batch.bad:
            await anyio.to_thread.run_sync(self._recheck_if_changed, batch)
        if body is None:
            return await anyio.to_thread.run_sync(self._stored, batch, body)
        return self._stored(batch, body)

    async def ingest_async(self, envelope: bytes, via: str = "https") -> bytes:
        """`ingest` on PostgreSQL from an event loop: checked on it, stored awaiting the server
        (the app sends larger batches to a thread first; see `app._ingest`)."""
        header = await self.verified_header(envelope)
        return await self.store_async(self.check(envelope, via, header=header))

    async def verified_header(self, envelope: bytes) -> Header:
        """The header of an upload from an enrolled device whose signature over it checks: the
        key comes from the database once per process (in a thread), then from memory."""
        header = self.header(envelope, unreadable=HubError)
        key = self._device_keys.get(header.device_id)
        if key is None:
            key = await anyio.to_thread.run_sync(self._signing_key, header.device_id)
        with checks.refusing_bad_envelopes():
            return verify_header(envelope, key)

    async def close_async(self) -> None:
        """Close the asyncio connections `store_async` opened (the app's shutdown)."""
        if self._async_pool is not None:
            await self._async_pool.close()

    @staticmethod
    def header(envelope: bytes, *, unreadable: type[HubError] = BadEnvelope) -> Header:
        return checks.checked_header(envelope, unreadable=unreadable)

    def _open_and_check(
        self, header: Header, envelope: bytes, via: str, max_plaintext: int
    ) -> CheckedBatch:
        """Decrypt and verify the batch with its device's key, check its records."""
        key = self._signing_key(header.device_id)
        try:
            opened = open_envelope(envelope, key, self.keys.kem, max_plaintext)
        except PayloadTooLarge:
            if max_plaintext < MAX_BATCH_PLAINTEXT:
                raise  # the app's inline attempt: it checks the batch again in a thread
            log.warning("refused a batch of %s: decompresses too large", header.device_id)
            raise BadEnvelope(f"the batch decompresses beyond {max_plaintext} bytes") from None
        except EnvelopeError as exc:
            log.warning("refused a batch: %s", exc)
            raise BadEnvelope(str(exc)) from None
        for seq, body in opened.records:
            if len(body) > MAX_RECORD_BYTES:
                raise BadEnvelope(f"record {seq} is larger than {MAX_RECORD_BYTES} bytes")
        good, bad, revision = self._check(opened.records)
        digest = envelope_hash(envelope)
        return CheckedBatch(header, envelope, digest, via, good, bad, revision)

    def _stored(self, batch: CheckedBatch, body: bytes | None) -> bytes:
        """The receipt to answer with: the new one, or on a replay (or a concurrent upload of
        the same batch that won the race) the one stored first."""
        header = batch.header
        if body is None:
            previous = self._existing(header.batch_id, batch.digest)
            if previous is None:
                raise HubError("batch vanished during a concurrent upload")
            return previous
        log.info(
            "batch %s from %s: %d records, %d quarantined",
            header.batch_id,
            header.device_id,
            len(batch.good),
            len(batch.bad),
        )
        return body

    def _signing_key(self, device_id: str) -> Ed25519PublicKey:
        """The device's key, from the database once per process: keys never change (a device
        enrols once), and revocation is checked again in the transaction that stores a batch."""
        key = self._device_keys.get(device_id)
        if key is None:
            key = self._device_keys[device_id] = self.device_key(device_id)
        return key

    def _writing(self, wait: bool = True) -> contextlib.AbstractContextManager[object]:
        """SQLite has one writer: serialising writes here avoids busy-retries under load."""
        if self._write_lock is None:
            return contextlib.nullcontext()
        return self._write_lock.held() if wait else self._write_lock.held_now()

    def _existing(self, batch_id: str, digest: str) -> bytes | None:
        """The stored receipt of a replayed batch; other bytes under the same id are refused."""
        select = "SELECT sha256, receipt, device_id FROM batches WHERE batch_id = ?"
        with self.engine.connect() as conn:
            rows = self.sql.rows(conn, select, (batch_id,))
        if not rows:
            return None
        sha256, receipt, device_id = rows[0]
        if sha256 != digest:
            self._alert("batch_conflict", device_id, f"batch {batch_id} resent with new bytes")
            raise BatchConflict(f"batch {batch_id} was already received with different content")
        return bytes(receipt)

    def _alert(self, kind: str, device_id: str | None, detail: str) -> None:
        alerts.record(self.engine, kind, device_id, detail)

    def _check(
        self, pairs: Sequence[tuple[int, bytes]]
    ) -> tuple[list[Checked], list[Refused], int]:
        """Validate every record and make its facts row; the invalid ones are quarantined,
        never the whole batch. Returns the reference revision that checked them."""
        now = dt.datetime.now(dt.UTC) + FUTURE_SKEW
        lists = self.references.snapshot()
        good, bad = quarantine.check_records(pairs, lists.vocabulary, now, self.sql.postgres)
        if bad and self.references.changed_since(lists.revision):  # a code just added
            lists = self.references.snapshot()
            again, bad = quarantine.check_records(
                [(seq, body) for seq, body, _ in bad], lists.vocabulary, now, self.sql.postgres
            )
            good = sorted([*good, *again], key=lambda item: item[0])
        return good, bad, lists.revision

    def upgrade(self) -> list[str]:
        """Run the recorded migrations this hub has not run (none on a hub up to date); after
        any, project records an older hub left queued. Returns the steps run."""
        ran = db.create_schema(self.engine)
        if ran:
            self.project_pending()
        if "h0004_summaries" in ran:
            summaries.backfill_hub(self.engine, self.sql)
        return ran

    def project_pending(self) -> int:
        """Project records an older hub left queued (`pending.project_pending`)."""
        with self._writing():
            return pending.project_pending(self.engine, self.sql)

    # -- counts ------------------------------------------------------------------------------

    def counts(
        self, by: Sequence[str], start: dt.date, end: dt.date, kind: str | None = None
    ) -> list[dict[str, Any]]:
        layout: Layout = "arrays" if self.sql.postgres else "json"  # see outreach/hub/db.py
        sql, params, _ = count_query(by, start, end, kind, layout=layout)
        with self.engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            return [dict(row._mapping) for row in result]

    def record_total(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(db.records)).scalar_one()
            )
