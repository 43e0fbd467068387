"""Only a revocation signed by the pinned hub key for this device wipes it: a fake hub on
loopback answering "revoked" (unsigned, forged, for another device, from another hub) gets an
AUTH error and every record stays."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.errors import SyncError, SyncErrorKind
from outreach.hub.service import Hub
from outreach.store.session import store_exists
from outreach.store.store import Store
from outreach.sync import outbox, state
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.envelope import raw_public
from outreach.sync.protocol import Revocation, RevokedBody, b64e
from tests.hub.harness import contacts, make_hub, serve_in_thread

Answer = Callable[[str], tuple[int, bytes]]  # path -> status, body


@contextlib.contextmanager
def fake_hub(answer: Answer) -> Iterator[str]:
    """A loopback HTTP server answering every request with `answer(path)`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            status, body = answer(self.path)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _reply  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def real_hub(tmp_path: Path) -> Hub:
    return make_hub(tmp_path / "hub")


@pytest.fixture
def victim(store: Store, real_hub: Hub) -> Store:
    """A device enrolled with the real hub, 6 records synced and 4 waiting."""
    with serve_in_thread(real_hub) as url:
        enrol(store, real_hub.new_enrolment(url).text())
        store.add(contacts(6))
        sync_now(store)
    store.add(contacts(4))
    return store


def revocation_for(hub: Hub, device_id: str, device_key: str, key: Ed25519PrivateKey) -> bytes:
    revocation = Revocation(
        device_id, device_key, hub.keys.fingerprint, "2026-12-01T00:00:00+00:00"
    )
    return msgspec.json.encode(RevokedBody.make(revocation, key, "revoked"))


def own_key(store: Store) -> str:
    return b64e(raw_public(state.identity(store).key.public_key()))


def forged_answers(hub: Hub, store: Store) -> dict[str, bytes]:
    """Every "revoked" answer a device must not obey."""
    other_hub = make_hub(Path(str(store.path)).parent.parent / "other-hub")
    mine = own_key(store)
    theirs = b64e(raw_public(Ed25519PrivateKey.generate().public_key()))
    genuine_for_other = revocation_for(hub, "another-device", theirs, hub.keys.sign)
    other_hub_signed = RevokedBody.make(
        Revocation(store.device_id, mine, other_hub.keys.fingerprint, "2026-12-01"),
        other_hub.keys.sign,
        "revoked",
    )
    wrong_fingerprint = RevokedBody.make(
        Revocation(store.device_id, mine, other_hub.keys.fingerprint, "2026-12-01"),
        hub.keys.sign,
        "revoked",
    )
    return {
        "unsigned": json.dumps(
            {"error": "revoked", "detail": "this device has been revoked"}
        ).encode(),
        "forged": revocation_for(hub, store.device_id, mine, Ed25519PrivateKey.generate()),
        "other device": genuine_for_other,
        "same id, other key": revocation_for(hub, store.device_id, theirs, hub.keys.sign),
        "other hub's key": msgspec.json.encode(other_hub_signed),
        "other hub's fingerprint": msgspec.json.encode(wrong_fingerprint),
        "garbage fields": b'{"error": "revoked", "detail": "", "revocation": "!", "signature": 7}',
        "bad base64": b'{"error": "revoked", "detail": "", "revocation": "@@", "signature": "@"}',
    }


@pytest.mark.parametrize("where", ["/v1/health", "/v1/reference", "/v1/batches"])
def test_unverifiable_revocations_wipe_nothing(victim: Store, real_hub: Hub, where: str) -> None:
    """Unsigned, forged, other-device and other-hub revocations, on any endpoint (health comes
    before the fingerprint check): SyncError(AUTH), the store open, all 10 records kept."""
    assert victim.path is not None
    data_dir = victim.path.parent
    health = msgspec.json.encode(
        {"status": "ok", "hub": real_hub.keys.fingerprint, "version": "x", "time": 1.0e10}
    )
    for name, body in forged_answers(real_hub, victim).items():

        def answer(path: str, body: bytes = body) -> tuple[int, bytes]:
            if path.startswith(where):
                return 403, body
            if path.startswith("/v1/health"):
                return 200, health
            return 200, msgspec.json.encode({"version": 0})

        with fake_hub(answer) as url:
            pins = msgspec.structs.replace(state.hub_pins(victim), url=url)  # type: ignore[type-var]
            with victim.transaction():
                victim.set_meta(state.HUB, msgspec.json.encode(pins).decode())
            with pytest.raises(SyncError) as caught:
                sync_now(victim)
        assert caught.value.kind is SyncErrorKind.AUTH, name
        assert "Nothing was deleted" in str(caught.value), name
        assert victim.is_open and store_exists(data_dir), name
        assert victim.record_count() == 10 and outbox.pending_count(victim) == 4, name


def test_a_signed_revocation_for_this_device_wipes_it(victim: Store, real_hub: Hub) -> None:
    """The same fake hub relaying the real hub's signed revocation for this device: wiped."""
    assert victim.path is not None
    data_dir = victim.path.parent
    real_hub.revoke(victim.device_id)
    with serve_in_thread(real_hub) as url:
        key = state.identity(victim).key
        headers = {"content-type": "application/octet-stream"}
        envelope = outbox.next_batch(victim, state.identity(victim))
        answer = httpx.post(f"{url}/v1/batches", content=envelope, headers=headers)
    assert answer.status_code == 403 and key is not None
    relayed = answer.content

    def replay(path: str) -> tuple[int, bytes]:
        return 403, relayed

    with fake_hub(replay) as fake:
        pins = msgspec.structs.replace(state.hub_pins(victim), url=fake)  # type: ignore[type-var]
        with victim.transaction():
            victim.set_meta(state.HUB, msgspec.json.encode(pins).decode())
        with pytest.raises(SyncError) as caught:
            sync_now(victim)
    assert caught.value.kind is SyncErrorKind.REVOKED
    assert not victim.is_open and not store_exists(data_dir)
