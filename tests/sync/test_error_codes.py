"""The hub's refusals carry the status and code docs/sync-protocol.md lists (both backends)."""

from __future__ import annotations

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outreach.hub.service import Hub
from outreach.sync.envelope import seal
from outreach.sync.protocol import EnrolRequest, ErrorBody
from tests.hub.harness import Device, contacts, serve_in_thread

OCTETS = {"content-type": "application/octet-stream"}


def refusal(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, msgspec.json.decode(answer.content, type=ErrorBody).error


def test_every_documented_refusal(hub: Hub, hub_url: str) -> None:
    """Each row of the protocol's error table, provoked against a real hub."""
    device = Device(hub, "dev-a")
    first = device.batch(contacts(2))
    assert httpx.post(f"{hub_url}/v1/batches", content=first, headers=OCTETS).status_code == 200
    device.seq = 0
    resealed = device.batch(contacts(2))  # same range, other bytes
    flipped = bytearray(device.batch(contacts(1)))
    flipped[-1] ^= 1
    stranger = seal("nobody", [(1, b"x")], hub.keys.kem.public_key(), Ed25519PrivateKey.generate())
    revoked = Device(hub, "dev-r")
    revoked_batch = revoked.batch(contacts(1))
    hub.revoke("dev-r")
    bad_token = msgspec.json.encode(EnrolRequest("nope", "dev-x", "A" * 43))

    def post(path: str, body: bytes, headers: dict[str, str] = OCTETS) -> tuple[int, str]:
        return refusal(httpx.post(hub_url + path, content=body, headers=headers))

    json = {"content-type": "application/json"}
    assert post("/v1/enrol", b"{not json", json) == (400, "bad_request")
    assert post("/v1/batches", b"garbage") == (400, "bad_request")
    assert post("/v1/batches", bytes(flipped)) == (400, "bad_envelope")
    assert refusal(httpx.get(f"{hub_url}/v1/reference")) == (401, "unauthorised")
    assert refusal(httpx.get(f"{hub_url}/v1/counts")) == (401, "unauthorised")
    assert post("/v1/batches", stranger) == (403, "unknown_device")
    assert post("/v1/batches", revoked_batch) == (403, "revoked")
    assert post("/v1/enrol", bad_token, json) == (403, "bad_token")
    assert post("/v1/batches", resealed) == (409, "conflict")
    assert post("/v1/enrol", b" " * 20_000, json) == (413, "too_large")


def test_rate_limited_answers_429_with_retry_after(hub: Hub) -> None:
    """Past the per-id token bucket: 429 `rate_limited` with Retry-After in seconds."""
    body = msgspec.json.encode(EnrolRequest("nope", "dev-x", "A" * 43))
    with serve_in_thread(hub, rate=0.01) as url:
        answers = [httpx.post(f"{url}/v1/enrol", content=body) for _ in range(3)]
    assert refusal(answers[0]) == (403, "bad_token")
    assert refusal(answers[-1]) == (429, "rate_limited")
    assert answers[-1].headers["retry-after"].isdigit()
