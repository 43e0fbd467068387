"""HTTPS with the hub's certificate pinned from the enrolment code (self-signed is fine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach.errors import SyncError, SyncErrorKind
from outreach.hub.cli import tls_fingerprint
from outreach.hub.service import Hub
from outreach.store.store import Store
from outreach.sync import enrolment
from outreach.sync.client import sync_now
from outreach.sync.transport import RetryPolicy
from tests.hub.harness import contacts, self_signed, serve_in_thread


def test_pinned_certificate_enrols_and_syncs(
    hub: Hub, store: Store, make_store, tmp_path: Path
) -> None:
    """The pinned self-signed certificate is trusted; a code pinning another one is refused."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cert, key = self_signed(tmp_path / "a")
    other_cert, other_key = self_signed(tmp_path / "b")
    with serve_in_thread(hub, tls=(cert, key)) as url:
        assert url.startswith("https://")
        hub.tls_fingerprint = tls_fingerprint(cert)
        enrolment.enrol(store, hub.new_enrolment(url).text())
        store.add(contacts(50))
        assert sync_now(store).acked_through == 50
        hub.tls_fingerprint = tls_fingerprint(other_cert)
        stranger = make_store("stranger")
        with pytest.raises(SyncError) as caught:
            enrolment.enrol(stranger, hub.new_enrolment(url).text())
        assert caught.value.kind is SyncErrorKind.AUTH
        assert not enrolment.is_enrolled(stranger)
    assert hub.record_total() == 50


def test_a_different_certificate_after_enrolment_is_not_trusted(
    hub: Hub, store: Store, tmp_path: Path
) -> None:
    """Once pinned, a hub URL answering with another certificate gets nothing from the device."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cert, key = self_signed(tmp_path / "a")
    with serve_in_thread(hub, tls=(cert, key)) as url:
        hub.tls_fingerprint = tls_fingerprint(cert)
        enrolment.enrol(store, hub.new_enrolment(url).text())
    port = int(url.rsplit(":", 1)[1])
    store.add(contacts(5))
    impostor = self_signed(tmp_path / "b")
    with serve_in_thread(hub, tls=impostor, port=port), pytest.raises(SyncError) as caught:
        sync_now(store, policy=RetryPolicy(attempts=2, initial=0.01, maximum=0.01))
    assert caught.value.kind is SyncErrorKind.NETWORK
    assert hub.record_total() == 0
