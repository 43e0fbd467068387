"""Client summaries flow down (issue 12): a real hub (uvicorn, SQLite and PostgreSQL), real
encrypted stores; forged, other hubs' and replayed pages and files are refused and change
nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from outreach.errors import SyncError
from outreach.hub import cli as hub_cli
from outreach.hub.service import Hub
from outreach.hub.summary_pages import summary_page
from outreach.records.validation import build_record
from outreach.store.session import create_store, unlock_store
from outreach.store.store import Store
from outreach.store.summaries import (
    service_summary,
    summaries_as_of,
    summaries_cursor,
    summary_codes_matching,
    summary_count,
)
from outreach.sync import state, summary_pull
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.protocol import SignedSummaries, SummaryPage
from tests.cli.helpers import outreach, refused
from tests.hub.test_summaries import X, Y, Z
from tests.samples import FAST_KDF, PASSPHRASE

NOW = dt.datetime.now(dt.UTC)


def seen(code: str, **extra: object) -> Any:
    data: dict[str, object] = {
        "type": "contact",
        "site": "outreach_van",
        "area": "LS6",
        "setting": "street",
        "client_code": code,
        "occurred_at": NOW.isoformat(),
        **extra,
    }
    return build_record(data, recorded_by="a")


def handed(code: str) -> Any:
    data: dict[str, object] = {
        "type": "kit_issue",
        "site": "outreach_van",
        "product": "nyxoid_1_8mg_nasal",
        "batch": "AB12",
        "expiry": "2029-03-31",
        "recipient": "person_at_risk",
        "supply": "first",
        "training": "full",
        "client_code": code,
        "occurred_at": NOW.isoformat(),
    }
    return build_record(data, recorded_by="a")


@pytest.fixture
def device(hub: Hub, hub_url: str, tmp_path: Path) -> Callable[..., Store]:
    made: list[Store] = []

    def make(name: str, role: str = "worker") -> Store:
        store, _ = create_store(tmp_path / name, name, role, PASSPHRASE, kdf=FAST_KDF)
        enrol(store, hub.new_enrolment(hub_url, role=role).text())
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def held(store: Store) -> tuple[Any, ...]:
    rows = store.conn.execute("SELECT * FROM summaries ORDER BY client_code").fetchall()
    return tuple(rows), summaries_cursor(store), summaries_as_of(store)


def test_a_client_seen_by_a_shows_on_b_and_the_pharmacy(device: Callable[..., Store]) -> None:
    a, b, pharmacy = device("a"), device("b"), device("pharmacy", "pharmacy")
    a.add([seen(X, risk_factors=("previous_overdose",)), handed(X)])
    sync_now(a)
    result = sync_now(b)
    assert result.summaries >= 1
    summary = service_summary(b, X)
    assert summary is not None
    assert (summary.contacts_total, summary.kits_total, summary.risk_level) == (1, 1, "high")
    assert [s.code for s in summary.sticky] == ["previous_overdose"]
    assert summary.kits_held(NOW.date()) == 1
    as_of = summaries_as_of(b)
    assert as_of is not None and abs(as_of - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert summary_codes_matching(b, X[:3]) == [X]
    from outreach.sync.commands import status_section

    shown = status_section(b)["sync"]
    assert isinstance(shown, dict) and shown["client_summaries"] == 1
    assert shown["summaries_as_of"] == as_of.isoformat()
    sync_now(pharmacy)
    kits_only = service_summary(pharmacy, X)
    assert kits_only is not None and kits_only.kits_total == 1
    assert (kits_only.risk_level, kits_only.sticky, kits_only.contacts_total) == (None, (), 0)
    stored = pharmacy.conn.execute("SELECT body FROM summaries").fetchone()[0]
    assert b"previous_overdose" not in stored  # the hub never sent it to the pharmacy
    pharmacy.add([handed(Z)])  # a kit at the pharmacy: B's next kit for Z is a repeat
    sync_now(pharmacy)
    sync_now(b)
    from_pharmacy = service_summary(b, Z)
    assert from_pharmacy is not None and from_pharmacy.kits_total == 1
    assert from_pharmacy.last_kit == NOW.date()


def test_a_void_reaches_other_devices_and_later_pulls_carry_only_changes(
    device: Callable[..., Store],
) -> None:
    a, b = device("a"), device("b")
    contact = seen(Y)
    a.add([seen(X), contact])
    sync_now(a)
    sync_now(b)
    assert sorted(summary_codes_matching(b, "")) == sorted([X, Y])
    a.void(contact.id, "entered_in_error")
    sync_now(a)
    assert sync_now(b).summaries == 1  # only Y changed: a drop
    assert summary_codes_matching(b, "") == [X]
    assert sync_now(b).summaries == 0  # nothing new: an empty page


def test_a_pull_resumes_after_the_last_stored_page(
    device: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 2: the pull fails after the first page; the next sync resumes from its cursor
    and ends with what one uninterrupted pull gives."""
    a, b, c = device("a"), device("b"), device("c")
    a.add([seen(X), seen(Y), seen(Z), handed(X), handed(Z)])
    sync_now(a)
    monkeypatch.setattr(summary_pull, "PAGE", 2)
    real = summary_pull.apply_page
    calls: list[int] = []

    def failing_second(store: Store, data: bytes, ident: Any, **kw: Any) -> SummaryPage:
        calls.append(1)
        if store is b and len(calls) == 2:
            raise SyncError("network went away", kind=summary_pull.SyncErrorKind.NETWORK)
        return real(store, data, ident, **kw)

    monkeypatch.setattr(summary_pull, "apply_page", failing_second)
    with pytest.raises(SyncError, match="network went away"):
        sync_now(b)
    assert summary_count(b) == 2 and summaries_cursor(b) == 2
    sync_now(b)
    sync_now(c)
    assert held(b)[0] == held(c)[0] and summary_count(b) == 3


def _tampering(hub_url: str, replace: Callable[[bytes], bytes]) -> httpx.Client:
    """A client whose summary answers, from the real hub, are changed on the way."""

    class Tamper(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            if request.url.path != "/v1/summaries":
                return response
            body = replace(response.read())
            return httpx.Response(response.status_code, headers=response.headers, content=body)

    return httpx.Client(base_url=hub_url, transport=Tamper())


def _pull(store: Store, client: httpx.Client) -> int:
    return summary_pull.pull_summaries(store, client, state.identity(store))


def test_forged_other_hub_and_replayed_answers_are_refused(
    device: Callable[..., Store], hub: Hub, hub_url: str
) -> None:
    a, b = device("a"), device("b")
    a.add([seen(X)])
    sync_now(a)
    old_page = summary_page(hub, b.device_id, 0)  # a genuine answer, kept to replay later
    a.add([seen(Y)])
    sync_now(a)
    sync_now(b)
    before = held(b)
    signed = msgspec.msgpack.decode(old_page, type=SignedSummaries)
    page = SignedSummaries.open(old_page, hub.keys.sign.public_key())
    later = summaries_cursor(b)
    cases = {
        "hub signature does not verify": lambda body: msgspec.msgpack.encode(
            SignedSummaries(signed.page, bytes(64))
        ),
        "another hub": lambda body: SignedSummaries.make(
            msgspec.structs.replace(page, hub="f" * 64, after=later), hub.keys.sign
        ),
        "another device": lambda body: SignedSummaries.make(
            msgspec.structs.replace(page, device_id=a.device_id, after=later), hub.keys.sign
        ),
        "answer a request after change 0": lambda body: old_page,
        "malformed": lambda body: b"\x92garbage",
    }
    for message, replace in cases.items():
        with _tampering(hub_url, replace) as client, pytest.raises(SyncError) as caught:
            _pull(b, client)
        assert "nothing changed" in str(caught.value) and message in str(caught.value)
        assert held(b) == before, message
    with pytest.raises(SyncError, match="older than the"):  # replayed as a file
        _import(b, old_page, b.path.parent / "old.oxs")  # type: ignore[union-attr]
    assert held(b) == before


def _import(store: Store, data: bytes, path: Path) -> None:
    path.write_bytes(data)
    summary_pull.import_file(store, path)


def test_the_usb_route_carries_summaries_with_the_same_checks(
    device: Callable[..., Store],
    hub: Hub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`outreach-hub summaries-export` writes the file, `outreach sync --import-summaries`
    reads it (both commands run in-process); importing again changes nothing; a file made for
    another device, or older than what is held, is refused with one line and changes nothing."""
    a, b = device("a"), device("b")
    a.add([seen(X), handed(X)])
    sync_now(a)
    out, for_a = tmp_path / "summaries.oxs", tmp_path / "for-a.oxs"
    url = hub.engine.url.render_as_string(hide_password=False)
    home = ["--home", str(tmp_path / "hub"), "--db", url]
    for who, path in ((b, out), (a, for_a)):
        argv = [*home, "summaries-export", "--device", who.device_id, "--out", str(path)]
        assert hub_cli.main(argv) == 0
    assert b.path is not None
    data_dir = b.path.parent
    b.close()
    monkeypatch.setenv("OUTREACH_PASSPHRASE", PASSPHRASE)
    capsys.readouterr()
    code, printed, _ = outreach(
        capsys, data_dir, "sync", "--import-summaries", str(out), "--user", "b"
    )
    assert code == 0 and '"summaries_held": 1' in printed
    b = unlock_store(data_dir, "b", PASSPHRASE)
    try:
        summary = service_summary(b, X)
        assert summary is not None and summary.kits_total == 1
        before = held(b)
        summary_pull.import_file(b, out)  # again: idempotent
        assert held(b)[:2] == before[:2]
        a.add([seen(Y)])
        sync_now(a)
        sync_now(b)
        before = held(b)
        for path, words in ((for_a, "another device"), (out, "older than the")):
            with pytest.raises(SyncError, match=words):
                summary_pull.import_file(b, path)
            assert held(b) == before
    finally:
        b.close()
    code, _, err = outreach(
        capsys, data_dir, "sync", "--import-summaries", str(for_a), "--user", "b"
    )
    assert refused(code, err, "nothing changed: they were made for another device")


def test_the_summaries_endpoint_caps_pages_and_refuses_bad_requests(
    device: Callable[..., Store], hub: Hub, hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unsigned: 401. A cursor outside 0…2^63−1 or a limit below 1: 400 with a clear error.
    A limit above the cap gets a page of at most the cap (here lowered to 2)."""
    from outreach.hub import summary_pages
    from outreach.sync.protocol import sign_request

    monkeypatch.setattr(summary_pages, "SUMMARY_PAGE_MAX", 2)
    a = device("a")
    a.add([seen(X), seen(Y), seen(Z)])
    sync_now(a)
    ident = state.identity(a)

    def get(query: str, signed: bool = True) -> httpx.Response:
        path = "/v1/summaries" + query
        headers = sign_request("GET", path, ident.device_id, ident.key) if signed else {}
        return httpx.get(hub_url + path, headers=headers)

    assert get("?after=0", signed=False).status_code == 401
    for query in ("?after=-1", f"?after={2**63}", "?after=0&limit=-5", "?after=x"):
        answer = get(query)
        assert answer.status_code in (400, 422), query
        assert b"Traceback" not in answer.content
    other = httpx.get(
        hub_url + "/v1/summaries?after=5",
        headers=sign_request("GET", "/v1/summaries?after=0", ident.device_id, ident.key),
    )
    assert other.status_code == 401  # the query is part of what the device signs
    page = SignedSummaries.open(get("?after=0&limit=1000").content, hub.keys.sign.public_key())
    assert len(page.entries) == 2 and not page.complete
    rest = SignedSummaries.open(
        get(f"?after={page.through}&limit=1000").content, hub.keys.sign.public_key()
    )
    assert len(rest.entries) == 1 and rest.complete
