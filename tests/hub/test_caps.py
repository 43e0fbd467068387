"""The hub's caps and refusals on both backends: decompressed size, quarantine bytes, seq range,
a changed record at a quarantined seq, the watermark's work past a gap, enrolment tokens."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.hub import db, pg_store
from outreach.hub.errors import BadEnvelope, BadToken, HubError, QuarantineFull, SeqReused
from outreach.hub.service import Hub
from outreach.records import encode_record
from outreach.sync.envelope import raw_public, seal
from outreach.sync.protocol import EnrolRequest, b64e
from tests.hub.harness import BACKENDS, Device, contact, contacts, hub_on

CAP_BATCH = 4 * 1024 * 1024  # limits.MAX_BATCH_PLAINTEXT, as docs/security.md states it
CAP_RECORD = 16 * 1024  # limits.MAX_RECORD_BYTES
CAP_QUARANTINE = 1024 * 1024  # limits.QUARANTINE_BYTES_PER_DEVICE


@pytest.fixture(params=BACKENDS)
def plain_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    with hub_on(request.param, tmp_path / "hub") as hub:
        yield hub


def raw(device: Device, bodies: list[bytes], first: int | None = None) -> bytes:
    """A batch of arbitrary record bytes from `device`, from seq `first` (default: next)."""
    first = device.seq + 1 if first is None else first
    pairs = [(first + i, body) for i, body in enumerate(bodies)]
    device.seq = max(device.seq, first + len(bodies) - 1)
    return seal(device.name, pairs, device.hub.keys.kem.public_key(), device.key)


def scalar(hub: Hub, sql: str, *params: Any) -> Any:
    with hub.engine.connect() as conn:
        return conn.exec_driver_sql(hub.sql.text(sql), tuple(params)).scalar()


def test_a_batch_may_not_decompress_beyond_its_cap(hub: Hub) -> None:
    """A small upload that expands past the batch cap is refused whole; nothing is kept."""
    device = Device(hub, "bomb")
    bodies = [bytes(CAP_RECORD - 64)] * (CAP_BATCH // (CAP_RECORD - 64) + 1)
    envelope = raw(device, bodies)
    assert len(envelope) < 64 * 1024  # zeros compress: the bomb is small on the wire
    with pytest.raises(BadEnvelope, match="decompress"):
        hub.ingest(envelope)
    assert scalar(hub, "SELECT count(*) FROM batches") == 0
    assert scalar(hub, "SELECT count(*) FROM quarantine") == 0


def test_a_record_beyond_its_cap_is_refused(hub: Hub) -> None:
    """One record larger than the record cap refuses its batch; a record at the cap is kept."""
    device = Device(hub, "big")
    with pytest.raises(BadEnvelope, match="larger than"):
        hub.ingest(raw(device, [bytes(CAP_RECORD + 1)]))
    hub.ingest(raw(device, [bytes(CAP_RECORD)], first=1))
    assert scalar(hub, "SELECT count(*) FROM quarantine") == 1


def test_quarantine_is_capped_per_device_with_an_alert(hub: Hub) -> None:
    """Past its quarantine cap a device's batch with invalid records is refused whole (its
    valid records too), an alert is recorded, and other devices are not affected."""
    flood, honest = Device(hub, "flood"), Device(hub, "honest")
    junk = [os.urandom(CAP_RECORD - 1024) for _ in range(10)]
    refused = None
    for _ in range(20):
        try:
            hub.ingest(raw(flood, [*junk, encode_record(contact(1))]))
        except QuarantineFull as exc:
            refused = exc
            break
    assert refused is not None and refused.status == 422 and refused.code == "quarantine_full"
    held = scalar(hub, "SELECT sum(length(body)) FROM quarantine WHERE device_id = ?", "flood")
    assert CAP_QUARANTINE // 2 < held <= CAP_QUARANTINE
    assert scalar(hub, "SELECT quarantine_bytes FROM devices WHERE device_id = ?", "flood") >= held
    stored = scalar(hub, "SELECT count(*) FROM records WHERE device_id = ?", "flood")
    assert stored == scalar(hub, "SELECT count(*) FROM batches WHERE device_id = ?", "flood")
    assert scalar(hub, "SELECT count(*) FROM alerts WHERE kind = 'quarantine_full'") == 1
    hub.ingest(raw(honest, [os.urandom(100), encode_record(contact(2))]))
    assert scalar(hub, "SELECT count(*) FROM quarantine WHERE device_id = ?", "honest") == 1


def test_a_changed_record_at_a_quarantined_seq_is_a_conflict(hub: Hub) -> None:
    """A different record at a seq that was quarantined gets 409; the same bytes again do not."""
    device = Device(hub, "dev")
    hub.ingest(raw(device, [encode_record(contact(1)), b"\x00not a record"]))
    with pytest.raises(SeqReused) as caught:
        hub.ingest(raw(device, [encode_record(contact(2)), encode_record(contact(3))], first=2))
    assert caught.value.status == 409
    with pytest.raises(SeqReused):
        hub.ingest(raw(device, [b"\x00another", encode_record(contact(3))], first=2))
    hub.ingest(raw(device, [b"\x00not a record", encode_record(contact(4))], first=2))
    assert scalar(hub, "SELECT count(*) FROM records") == 2


def test_an_invalid_record_at_a_stored_seq_is_a_conflict(hub: Hub) -> None:
    """Other bytes at a seq that holds a stored record are refused even when they are invalid."""
    device = Device(hub, "dev")
    hub.ingest(raw(device, [encode_record(contact(1)), encode_record(contact(2))]))
    with pytest.raises(SeqReused):
        hub.ingest(raw(device, [b"\x00junk", encode_record(contact(3))], first=2))
    assert scalar(hub, "SELECT count(*) FROM quarantine") == 0


@pytest.mark.parametrize("first", [0, -1, 2**63 - 1, 2**63, 2**64 - 2])
def test_seqs_out_of_range_are_clear_refusals(hub: Hub, first: int) -> None:
    """Seqs ≤ 0 or beyond BIGINT are a 400 with a reason, never a database error."""
    device = Device(hub, "dev")
    envelope = raw(device, [encode_record(contact(1)), encode_record(contact(2))], first=first)
    with pytest.raises(BadEnvelope, match="seqs must be") as caught:
        hub.ingest(envelope)
    assert caught.value.status == 400
    assert scalar(hub, "SELECT count(*) FROM batches") == 0


# -- the watermark past a gap ----------------------------------------------------------------


def _work_sqlite(hub: Hub, envelope: bytes) -> int:
    """SQLite virtual-machine steps spent storing one batch (its whole transaction)."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    @sa.event.listens_for(hub.engine, "checkout")
    def _counting(dbapi_conn: Any, _record: object, _proxy: object) -> None:
        dbapi_conn.set_progress_handler(count, 1)

    hub.engine.dispose()  # every connection is checked out afresh
    try:
        hub.ingest(envelope)
    finally:
        sa.event.remove(hub.engine, "checkout", _counting)
        hub.engine.dispose()
    return steps[0]


def _work_postgres(hub: Hub, envelope: bytes) -> int:
    """Rows of `batches` PostgreSQL read storing one batch, on a new server process: a
    backend's table counters reach the statistics at most once a second, so on a pooled
    connection `pg_stat_xact_user_tables` would also count the batches stored just before."""
    batch = hub.check(envelope)
    hub.engine.dispose()
    with hub.engine.begin() as conn:
        cursor = hub.sql.cursor(conn)
        cursor.execute(*pg_store.batch_call(batch.claim(), batch.good, batch.bad))
        assert cursor.fetchone()[0] == "stored"
        cursor.execute(
            "SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = 'batches'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_watermark_work_stays_flat_past_a_gap(backend: str, tmp_path: Path) -> None:
    """A device that never sent seq 1: storing a batch costs the same after 40 batches past the
    gap as after 400 (it once reread every batch past the gap)."""
    with hub_on(backend, tmp_path / "hub") as hub:
        device = Device(hub, "gappy")
        device.seq = 1  # seq 1 never comes
        work: Callable[[Hub, bytes], int] = _work_postgres if hub.sql.postgres else _work_sqlite
        measured = []
        for total in (40, 400):
            while device.seq < total:
                hub.ingest(device.batch([contact(device.seq)]))
            measured.append(work(hub, device.batch([contact(0)])))
        small, large = measured
        assert large <= small * 1.25 + 50, measured  # before: 731 → 5051 steps, 40 → 5909 rows
        assert scalar(hub, "SELECT acked_through FROM devices") == 0
        hub.ingest(raw(device, [encode_record(contact(9))], first=1))  # the gap fills
        assert scalar(hub, "SELECT acked_through FROM devices") == device.seq


def test_watermark_follows_overlapping_and_out_of_order_batches(hub: Hub) -> None:
    """Batches that arrive out of order or overlap still move the watermark to the last seq
    with no gap below it, and no further."""
    device = Device(hub, "dev")
    records = [encode_record(r) for r in contacts(12)]

    def send(first: int, last: int) -> None:
        hub.ingest(raw(device, records[first - 1 : last], first=first))

    def acked() -> int:
        return int(scalar(hub, "SELECT acked_through FROM devices"))

    send(4, 6)
    send(9, 10)
    assert acked() == 0
    send(2, 3)
    assert acked() == 0
    send(1, 2)
    assert acked() == 6
    send(5, 8)
    assert acked() == 10
    send(12, 12)
    send(3, 11)
    assert acked() == 12


# -- enrolment tokens ------------------------------------------------------------------------


def _request(token: str, device_id: str, key: Ed25519PrivateKey | None = None) -> EnrolRequest:
    key = key or Ed25519PrivateKey.generate()
    return EnrolRequest(token, device_id, b64e(raw_public(key.public_key())))


def test_concurrent_enrolments_use_each_token_once(plain_hub: Hub) -> None:
    """Ten tokens, each tried by four devices at once: exactly ten devices are enrolled, one
    per token, and the others get a clear refusal."""
    hub = plain_hub
    tokens = [hub.new_enrolment("http://127.0.0.1").token for _ in range(10)]
    attempts = [(token, f"dev-{t}-{n}") for t, token in enumerate(tokens) for n in range(4)]
    start = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def enrol(token: str, device_id: str) -> None:
        start.wait()
        try:
            hub.enrol(_request(token, device_id))
            outcomes.append("enrolled")
        except BadToken:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 - any other failure is what this test catches
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=enrol, args=attempt) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(set(outcomes)) == ["enrolled", "refused"], outcomes
    assert outcomes.count("enrolled") == 10
    with hub.engine.connect() as conn:
        devices = conn.execute(sa.select(db.devices.c.device_id)).scalars().all()
        used = conn.execute(sa.select(db.enrol_tokens.c.device_id)).scalars().all()
    assert len(devices) == 10 and sorted(devices) == sorted(used)


def test_one_device_with_two_tokens_at_once_is_enrolled_once(plain_hub: Hub) -> None:
    """The same device id enrolling with two codes at once: one wins, the other is a clear
    refusal and leaves its code unused."""
    hub = plain_hub
    tokens = [hub.new_enrolment("http://127.0.0.1").token for _ in range(2)]
    key = Ed25519PrivateKey.generate()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def enrol(token: str) -> None:
        start.wait()
        try:
            hub.enrol(_request(token, "twice", key))
            outcomes.append("enrolled")
        except HubError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=enrol, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["bad_token", "enrolled"]
    with hub.engine.connect() as conn:
        used = conn.execute(sa.select(db.enrol_tokens.c.device_id)).scalars().all()
    assert sorted(used, key=str) == sorted([None, "twice"], key=str)


def test_a_revoked_device_cannot_replay_its_enrolment(plain_hub: Hub) -> None:
    """Within the token's life an enrolled device may ask again (its answer was lost), but not
    once revoked: no service key for it."""
    hub = plain_hub
    token = hub.new_enrolment("http://127.0.0.1").token
    key = Ed25519PrivateKey.generate()
    first = hub.enrol(_request(token, "laptop", key))
    assert hub.enrol(_request(token, "laptop", key)) == first
    hub.revoke("laptop")
    with pytest.raises(BadToken, match="revoked"):
        hub.enrol(_request(token, "laptop", key))
