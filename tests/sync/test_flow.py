"""Device to hub over HTTP on loopback: enrol, sync, receipts, replay, reference pull."""

from __future__ import annotations

import httpx
import msgspec
import pytest
import sqlalchemy as sa

from outreach.domain.vocab import Code
from outreach.errors import SyncError, SyncErrorKind
from outreach.hub import db
from outreach.hub.service import Hub
from outreach.store.store import Store
from outreach.sync import enrolment, outbox, reference, state
from outreach.sync.client import sync_now
from outreach.sync.commands import status_section
from outreach.sync.protocol import Reference, SignedReceipt
from tests.hub.harness import contacts


def hub_rows(hub: Hub, device_id: str) -> list[tuple[int, str]]:
    with hub.engine.connect() as conn:
        rows = conn.execute(
            sa.select(db.records.c.device_seq, db.records.c.id)
            .where(db.records.c.device_id == device_id)
            .order_by(db.records.c.device_seq)
        )
        return [(int(seq), rid) for seq, rid in rows]


def test_sync_delivers_every_record_once(enrolled: Store, hub: Hub) -> None:
    """All pending records reach the hub in seq order and the watermark covers them."""
    records = contacts(1234)
    enrolled.add(records)
    seen: list[tuple[int, int]] = []
    result = sync_now(
        enrolled, progress=lambda done, total: seen.append((done, total)), batch_size=500
    )
    assert result.sent == 1234 and result.accepted == 1234 and result.pending == 0
    assert result.acked_through == 1234 == state.acked_through(enrolled)
    assert hub_rows(hub, enrolled.device_id) == [(i + 1, r.id) for i, r in enumerate(records)]
    assert seen[0] == (0, 1234) and seen[-1] == (1234, 1234)
    assert len(enrolment.receipt_history(enrolled)) == len(result.receipts) == 3
    assert enrolment.pending_count(enrolled) == 0
    assert enrolment.last_sync(enrolled) is not None
    again = sync_now(enrolled)
    assert again.sent == 0 and hub.record_total() == 1234
    shown = status_section(enrolled)["sync"]
    assert shown["enrolled"] and shown["hub"] == state.hub_pins(enrolled).url  # type: ignore[union-attr]
    assert shown["pending"] == 0 and shown["acked_through"] == 1234 and shown["last_sync"]


def test_replayed_batch_returns_original_receipt(enrolled: Store, hub: Hub, hub_url: str) -> None:
    """Posting the same sealed batch again answers with the byte-identical first receipt."""
    enrolled.add(contacts(10))
    envelope = outbox.next_batch(enrolled, state.identity(enrolled))
    assert envelope is not None
    first = httpx.post(hub_url + "/v1/batches", content=envelope)
    second = httpx.post(hub_url + "/v1/batches", content=envelope)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    receipt = msgspec.json.decode(first.content, type=SignedReceipt).verify(
        hub.keys.sign.public_key()
    )
    assert receipt.accepted == 10 and receipt.acked_through == 10
    assert hub.record_total() == 10


def test_same_batch_with_different_bytes_is_a_conflict(
    enrolled: Store, hub: Hub, hub_url: str
) -> None:
    """A batch id resent with other content gets 409 and leaves an alert; nothing changes."""
    enrolled.add(contacts(5))
    ident = state.identity(enrolled)
    envelope = outbox.next_batch(enrolled, ident)
    assert envelope is not None
    assert httpx.post(hub_url + "/v1/batches", content=envelope).status_code == 200
    from outreach.sync.envelope import seal

    rows = enrolled.conn.execute("SELECT device_seq, body FROM records").fetchall()
    resealed = seal(ident.device_id, rows, ident.hub.kem_public(), ident.key)
    answer = httpx.post(hub_url + "/v1/batches", content=resealed)
    assert answer.status_code == 409
    with hub.engine.connect() as conn:
        kinds = conn.execute(sa.select(db.alerts.c.kind)).scalars().all()
    assert kinds == ["batch_conflict"]
    assert hub.record_total() == 5


def test_tampered_envelope_is_rejected(enrolled: Store, hub: Hub, hub_url: str) -> None:
    """One flipped byte anywhere in the envelope gets 400 and stores nothing."""
    enrolled.add(contacts(3))
    envelope = outbox.next_batch(enrolled, state.identity(enrolled))
    assert envelope is not None
    for position in (6, 40, len(envelope) - 100, len(envelope) - 1):
        tampered = bytearray(envelope)
        tampered[position] ^= 0x01
        answer = httpx.post(hub_url + "/v1/batches", content=bytes(tampered))
        assert answer.status_code in (400, 403), position
    assert hub.record_total() == 0


def test_invalid_records_are_quarantined_not_the_batch(enrolled: Store, hub: Hub) -> None:
    """A record the hub cannot accept is kept aside; the rest of its batch is stored."""
    good = contacts(4)
    bad = msgspec.structs.replace(contacts(1)[0], site="no_such_site")
    enrolled.add([*good, bad])
    result = sync_now(enrolled)
    assert (result.accepted, result.quarantined, result.acked_through) == (4, 1, 5)
    with hub.engine.connect() as conn:
        errors = conn.execute(sa.select(db.quarantine.c.error)).scalars().all()
    assert len(errors) == 1 and "site" in errors[0]
    assert enrolment.receipt_history(enrolled)[0].quarantined == 1


def test_reference_data_and_service_key_are_pulled(enrolled: Store, hub: Hub) -> None:
    """The hub's code list additions and service key reach the device at each sync."""
    assert reference.service_key(enrolled) == bytes.fromhex(hub.reference().service_key)
    hub.set_reference(
        Reference(version=2, lists={"site": [Code("north_hub", "North hub")]}, retention_days=7)
    )
    sync_now(enrolled)
    vocab = reference.current_vocabulary(enrolled)
    assert "north_hub" in vocab.codes("site") and "outreach_van" in vocab.codes("site")
    assert reference.retention_days(enrolled) == 7


def test_standalone_service_key_is_made_once(store: Store) -> None:
    """Without a hub the device makes its own service key and keeps returning it."""
    key = reference.service_key(store)
    assert len(key) >= 16 and reference.service_key(store) == key


def test_sync_without_enrolment_says_so(store: Store) -> None:
    """An unenrolled device gets NOT_ENROLLED, not a network error."""
    with pytest.raises(SyncError) as caught:
        sync_now(store)
    assert caught.value.kind is SyncErrorKind.NOT_ENROLLED


def test_enrolment_code_works_once(hub: Hub, hub_url: str, make_store) -> None:
    """A used code cannot enrol another device, and garbage is a clear protocol error."""
    first, second = make_store("one"), make_store("two")
    code = hub.new_enrolment(hub_url).text()
    info = enrolment.enrol(first, code)
    assert info.device_id == first.device_id and enrolment.is_enrolled(first)
    assert info.unlinked_client_codes == 0 == status_section(first)["sync"]["unlinked_client_codes"]  # type: ignore[index]
    with pytest.raises(SyncError) as used:
        enrolment.enrol(second, code)
    assert used.value.kind is SyncErrorKind.AUTH and not enrolment.is_enrolled(second)
    with pytest.raises(SyncError) as garbage:
        enrolment.enrol(second, "hello")
    assert garbage.value.kind is SyncErrorKind.PROTOCOL


def test_enrolment_refuses_keys_that_do_not_match_the_code(
    hub: Hub, hub_url: str, make_store
) -> None:
    """A hub answering with other keys than the code pins is not trusted."""
    from outreach.sync.protocol import EnrolmentCode

    code = hub.new_enrolment(hub_url)
    forged = EnrolmentCode(code.url, code.token, "0" * 64).text()
    device = make_store("three")
    with pytest.raises(SyncError) as caught:
        enrolment.enrol(device, forged)
    assert caught.value.kind is SyncErrorKind.AUTH and not enrolment.is_enrolled(device)


def test_plain_http_is_refused_beyond_loopback(store: Store) -> None:
    """A code naming a plain-HTTP hub on another machine is refused before any request."""
    from outreach.sync.protocol import EnrolmentCode

    with pytest.raises(SyncError) as caught:
        enrolment.enrol(store, EnrolmentCode("http://hub.example.org", "t", "0" * 64).text())
    assert caught.value.kind is SyncErrorKind.PROTOCOL
