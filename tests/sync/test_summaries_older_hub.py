"""A device on a hub older than the summary pull (issue 12): `/v1/summaries` answers 404 over
real HTTP (the real hub under uvicorn, that route taken out), and the sync still succeeds —
the batches were receipted — with a note saying the service history is not there yet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.hub.service import Hub
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.store.summaries import summaries_cursor, summary_count
from outreach.sync import outbox
from outreach.sync.client import SUMMARIES_MISSING, sync_now
from outreach.sync.enrolment import enrol
from outreach.sync.transport import DEFAULT_POLICY, make_client, request
from tests.cli.helpers import outreach
from tests.hub.harness import serve_in_thread
from tests.hub.test_summaries import X
from tests.samples import FAST_KDF, PASSPHRASE
from tests.sync.test_summaries import handed, seen


@pytest.fixture
def older_hub_url(hub: Hub) -> Iterator[str]:
    with serve_in_thread(hub, without=("/v1/summaries",)) as url:
        yield url


@pytest.fixture
def device(hub: Hub, older_hub_url: str, tmp_path: Path) -> Iterator[Store]:
    store, _ = create_store(tmp_path / "a", "a", "worker", PASSPHRASE, kdf=FAST_KDF)
    enrol(store, hub.new_enrolment(older_hub_url).text())
    yield store
    store.close()  # closing twice is harmless


def test_the_route_really_answers_404(older_hub_url: str) -> None:
    with make_client(older_hub_url, None, DEFAULT_POLICY) as client:
        health = request(client, "GET", "/v1/health", policy=DEFAULT_POLICY)
        assert health.status_code == 200
        answer = client.get("/v1/summaries?after=0&limit=10")
    assert answer.status_code == 404


def test_a_sync_with_an_older_hub_succeeds_with_a_note(device: Store, hub: Hub) -> None:
    device.add([seen(X), handed(X)])
    result = sync_now(device)
    assert (result.sent, result.accepted, result.pending) == (2, 2, 0)
    assert result.summaries == 0
    assert result.notes == (SUMMARIES_MISSING,)
    assert "older" in SUMMARIES_MISSING and "client history" in SUMMARIES_MISSING
    assert outbox.pending_count(device) == 0  # receipted: nothing is sent again
    assert (summary_count(device), summaries_cursor(device)) == (0, 0)
    with hub.engine.connect() as conn:
        assert hub.sql.rows(conn, "SELECT count(*) FROM records")[0][0] == 2
    again = sync_now(device)  # and the next sync too
    assert (again.sent, again.notes) == (0, (SUMMARIES_MISSING,))


def test_outreach_sync_on_an_older_hub_exits_0_and_prints_the_note(
    device: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    device.add([seen(X)])
    assert device.path is not None
    data_dir = device.path.parent
    device.close()
    monkeypatch.setenv("OUTREACH_PASSPHRASE", PASSPHRASE)
    capsys.readouterr()
    code, printed, err = outreach(capsys, data_dir, "sync", "--user", "a")
    assert code == 0 and "Traceback" not in err
    result = json.loads(printed)
    assert (result["accepted"], result["pending"]) == (1, 0)
    assert result["notes"] == [SUMMARIES_MISSING]
