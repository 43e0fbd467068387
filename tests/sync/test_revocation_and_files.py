"""Revocation wipes the device; USB batch files give the hub the same result as HTTPS."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import msgspec
import pytest
import sqlalchemy as sa

from outreach.errors import SyncError, SyncErrorKind
from outreach.hub import db
from outreach.hub.service import Hub
from outreach.store.session import store_exists
from outreach.store.store import Store
from outreach.sync import enrolment, files, outbox, state
from outreach.sync import revocation as revocation_check
from outreach.sync.client import sync_now
from outreach.sync.protocol import RevokedBody, SignedReceipt, sign_request
from tests.hub.harness import contact, contacts


def test_revoked_device_is_refused_and_wipes_itself(enrolled: Store, hub: Hub) -> None:
    """After revocation the next contact refuses the device, which wipes store and key slots."""
    enrolled.add(contacts(20))
    sync_now(enrolled)
    enrolled.add(contacts(5))
    assert enrolled.path is not None
    data_dir = enrolled.path.parent
    hub.revoke(enrolled.device_id)
    with pytest.raises(SyncError) as caught:
        sync_now(enrolled)
    assert caught.value.kind is SyncErrorKind.REVOKED
    assert not enrolled.is_open
    assert not store_exists(data_dir)
    assert not any(p.name.startswith(("outreach.db", "keyslots")) for p in data_dir.iterdir())
    assert hub.record_total() == 20


def test_the_hubs_revoked_answer_is_signed_for_the_device(
    enrolled: Store, hub: Hub, hub_url: str
) -> None:
    """Both refusals (signed request and batch upload, after the key is cached) carry a
    revocation signed with the hub key, naming the device, its key and the hub."""
    enrolled.add(contacts(2))
    sync_now(enrolled)  # the hub now holds the device's key in its cache
    enrolled.add(contacts(2))
    ident = state.identity(enrolled)
    envelope = outbox.next_batch(enrolled, ident)
    hub.revoke(enrolled.device_id)
    path = "/v1/reference"
    answers = [
        httpx.post(
            f"{hub_url}/v1/batches",
            content=envelope,
            headers={"content-type": "application/octet-stream"},
        ),
        httpx.get(hub_url + path, headers=sign_request("GET", path, ident.device_id, ident.key)),
    ]
    for answer in answers:
        assert answer.status_code == 403
        body = msgspec.json.decode(answer.content, type=RevokedBody)
        assert body.error == "revoked"
        revocation = revocation_check.verify(answer.content, ident)
        assert revocation.device_id == enrolled.device_id and revocation.revoked_at
    assert enrolled.record_count() == 4  # answers alone wipe nothing; sync_now does


def test_revoked_device_upload_is_refused(enrolled: Store, hub: Hub) -> None:
    """The hub refuses a batch from a revoked device even if it was sealed before revocation."""
    enrolled.add(contacts(3))
    envelope = outbox.next_batch(enrolled, state.identity(enrolled))
    assert envelope is not None
    hub.revoke(enrolled.device_id)
    from outreach.hub.service import DeviceRevoked

    with pytest.raises(DeviceRevoked):
        hub.ingest(envelope, via="file")
    assert hub.record_total() == 0


def test_usb_files_then_https_give_the_same_result(
    enrolled: Store, hub: Hub, tmp_path: Path
) -> None:
    """Batches imported from files are the ones HTTPS would send: same receipts, no duplicates."""
    records = contacts(1100)
    enrolled.add(records)
    written = files.write_batches(enrolled, tmp_path / "usb", batch_size=500)
    assert [p.name.split("-")[2] for p in written] == ["0000000001", "0000000501", "0000001001"]
    assert files.write_batches(enrolled, tmp_path / "usb2") and all(
        a.read_bytes() == b.read_bytes()
        for a, b in zip(written, sorted((tmp_path / "usb2").iterdir()), strict=True)
    )
    imported = [hub.ingest(path.read_bytes(), via="file") for path in reversed(written)]
    receipts = [
        msgspec.json.decode(body, type=SignedReceipt).verify(hub.keys.sign.public_key())
        for body in imported
    ]
    # Imported out of order: the watermark only reaches 1100 once the first file is in.
    assert [r.acked_through for r in receipts] == [0, 0, 1100]
    assert state.acked_through(enrolled) == 0 and enrolment.pending_count(enrolled) == 1100
    result = sync_now(enrolled)
    assert result.acked_through == 1100 and result.duplicates == 0
    assert hub.record_total() == 1100
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.select(db.batches.c.batch_id, db.batches.c.receipt, db.batches.c.via)
        ).all()
    assert {row.via for row in stored} == {"file"}
    assert sorted(bytes(row.receipt) for row in stored) == sorted(imported)
    # One HTTPS upload (the first batch) got the receipt the import made, byte for byte.
    (body,) = enrolled.conn.execute("SELECT body FROM receipts").fetchone()
    assert body == imported[-1] and result.sent == 500
    assert enrolled.conn.execute("SELECT count(*) FROM outbox_batches").fetchone()[0] == 0


def test_purge_keeps_records_until_a_receipt_covers_them(enrolled: Store, hub: Hub) -> None:
    """Old records leave the laptop only after the hub has acked them."""
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    enrolled.add(
        [contact(n, occurred_at=(old + dt.timedelta(hours=n)).isoformat()) for n in range(5)]
    )
    enrolled.add(contacts(3))
    assert outbox.purge_synced(enrolled, 30) == 0  # nothing acked yet
    result = sync_now(enrolled)  # hub retention default 30 days
    assert result.purged == 5 and enrolled.record_count() == 3
    assert enrolled.last_seq() == 8 and enrolment.pending_count(enrolled) == 0
    enrolled.add(contacts(2))
    assert sync_now(enrolled).acked_through == 10
    assert hub.record_total() == 10
