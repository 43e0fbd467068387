"""API fuzzing beyond the spec's bodies: request headers (X-Outreach-Time and the other signed
headers, Content-Length) and boundary integers in a batch's seqs, against a served hub on both
backends. No answer may be a 5xx; a batch's answer is 200, 400 or 409 and nothing out of range
is stored."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from outreach.hub.app import create_app
from outreach.hub.service import Hub
from outreach.records import encode_record
from outreach.sync import protocol as proto
from outreach.sync.envelope import seal
from tests.hub.harness import BACKENDS, Device, contact, hub_on, serve_in_thread

BOUNDARY = [0, -1, 1, 2**31 - 1, 2**31, 2**53, 2**63 - 2, 2**63 - 1, 2**63, 2**64 - 1, 2**64]
FUZZ = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
# Header values a client could send: no CR, LF or NUL (HTTP itself refuses those).
_TEXT = st.text(st.characters(blacklist_characters="\r\n\x00", blacklist_categories=["Cs"]))


def _numbers() -> st.SearchStrategy[str]:
    edge = st.sampled_from(BOUNDARY).flatmap(lambda n: st.sampled_from([n, -n]))
    weird = st.sampled_from(["--5", "-", "+1", "1e9", "0x10", "²", "١٢٣", "5" * 5000, " 1"])
    return st.one_of(edge.map(str), weird, st.integers().map(str), _TEXT)


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    with hub_on(request.param, tmp_path / "hub") as hub, serve_in_thread(hub) as url:
        yield hub, url


def test_fuzzed_request_headers_never_get_a_server_error(
    served: tuple[Hub, str], figures: dict[str, Any]
) -> None:
    """Signed-request headers and Content-Length of boundary, malformed and random values:
    every answer is a 4xx (or 200), never a 5xx."""
    hub, url = served
    device = Device(hub, "dev")
    statuses: collections.Counter[int] = collections.Counter()
    app = create_app(hub, rate=0)
    with (
        httpx.Client(base_url=url, timeout=30) as client,
        TestClient(app, raise_server_exceptions=False) as asgi,
    ):

        @FUZZ
        @given(
            stamp=_numbers(),
            device_id=st.one_of(st.just("dev"), _TEXT),
            signature=st.one_of(st.just(proto.b64e(bytes(64))), _TEXT),
            length=_numbers(),
        )
        def run(stamp: str, device_id: str, signature: str, length: str) -> None:
            headers = {
                proto.DEVICE_HEADER: device_id.encode(),
                proto.TIME_HEADER: stamp.encode(),
                proto.SIGNATURE_HEADER: signature.encode(),
            }
            try:
                answer = client.get("/v1/reference", headers=headers)
            except httpx.LocalProtocolError:
                statuses[0] += 1  # not valid HTTP: the client itself will not send it
            else:
                statuses[answer.status_code] += 1
                assert answer.status_code < 500, (headers, answer.text)
            # Content-Length straight into the app (an HTTP client keeps it consistent).
            for path in ("/v1/batches", "/v1/enrol"):
                request = asgi.build_request("POST", path, content=b"x" * 10)
                request.headers["content-length"] = length
                answer = asgi.send(request)
                statuses[answer.status_code] += 1
                assert answer.status_code < 500, (path, length, answer.text)

        run()
    del device
    figures[f"header fuzzing ({hub.engine.dialect.name})"] = dict(sorted(statuses.items()))


def test_boundary_seqs_never_get_a_server_error(
    served: tuple[Hub, str], figures: dict[str, Any]
) -> None:
    """Batches signed by an enrolled device with first seqs at integer boundaries (0, -1,
    2^31, 2^63 - 1, 2^63, 2^64 - 1 …): 200 only for seqs in 1 … 2^63 - 1, else 400 (409 for a
    seq reused); never a 5xx, nothing out of range stored."""
    hub, url = served
    device = Device(hub, "dev")
    kem = hub.keys.kem.public_key()
    statuses: collections.Counter[int] = collections.Counter()
    edges = st.sampled_from(BOUNDARY).flatmap(lambda n: st.sampled_from([n - 1, n, n + 1, -n]))
    with httpx.Client(base_url=url, timeout=30) as client:

        @FUZZ
        @given(first=st.one_of(edges, st.integers(-(2**65), 2**65)), count=st.integers(1, 3))
        def run(first: int, count: int) -> None:
            last = first + count - 1
            pairs = [(first + i, encode_record(contact(i))) for i in range(count)]
            try:
                envelope = seal(device.name, pairs, kem, device.key)
            except OverflowError:  # msgpack carries no integer beyond 64 bits
                return
            answer = client.post("/v1/batches", content=envelope)
            statuses[answer.status_code] += 1
            in_range = first >= 1 and last < 2**63
            expected = {200, 409} if in_range else {400}
            assert answer.status_code in expected, (first, count, answer.text)

        run()
    with hub.engine.connect() as conn:
        low, high = conn.exec_driver_sql(
            "SELECT min(device_seq), max(device_seq) FROM records"
        ).one()
    assert low is None or (low >= 1 and high < 2**63)
    figures[f"seq boundary fuzzing ({hub.engine.dialect.name})"] = dict(sorted(statuses.items()))
