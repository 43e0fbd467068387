"""Hostile input to the hub: mangled envelopes and requests get 4xx answers, never a 500."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outreach.hub.service import Hub
from outreach.store.store import Store
from outreach.sync import outbox, state
from outreach.sync.enrolment import enrol
from tests.hub.harness import contacts, make_hub, serve_in_thread

CASES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_mutated_envelopes_never_crash_the_hub(store: Store, tmp_path) -> None:
    """Random cuts, splices and byte flips of a real envelope are refused with 400/403/409."""
    hub: Hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url, httpx.Client(base_url=url) as client:
        enrol(store, hub.new_enrolment(url).text())
        store.add(contacts(20))
        envelope = outbox.next_batch(store, state.identity(store))
        assert envelope is not None

        @CASES
        @given(
            cut=st.integers(0, len(envelope)),
            flips=st.lists(st.tuples(st.integers(0, len(envelope) - 1), st.integers(1, 255))),
            tail=st.binary(max_size=64),
        )
        def mangled(cut: int, flips: list[tuple[int, int]], tail: bytes) -> None:
            data = bytearray(envelope)
            for position, mask in flips:
                data[position] ^= mask
            body = bytes(data[:cut]) + tail
            if body == envelope:
                return
            answer = client.post("/v1/batches", content=body)
            assert answer.status_code in (400, 403, 409), (answer.status_code, answer.text)
            assert answer.json()["error"]

        mangled()
        assert hub.record_total() == 0


def test_malformed_requests_get_clear_errors(tmp_path) -> None:
    """Bad JSON, wrong types and missing signature headers are 4xx with a JSON error body."""
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url, httpx.Client(base_url=url) as client:
        for body in (b"", b"{", b"[]", b'{"token": 1}', b'{"token":"x","device_id":"d"}'):
            answer = client.post("/v1/enrol", content=body)
            assert answer.status_code == 400 and answer.json()["error"], body
        bad_key = b'{"token":"x","device_id":"d","device_key":"AAAA"}'
        assert client.post("/v1/enrol", content=bad_key).status_code == 400
        unknown = b'{"token":"x","device_id":"d","device_key":"' + b"A" * 43 + b'"}'
        assert client.post("/v1/enrol", content=unknown).json()["error"] == "bad_token"
        assert client.get("/v1/reference").status_code == 401
        forged = {
            "X-Outreach-Device": "nobody",
            "X-Outreach-Time": "1",
            "X-Outreach-Signature": "x",
        }
        assert client.get("/v1/reference", headers=forged).status_code == 403
