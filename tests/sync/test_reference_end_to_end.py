"""Issue 12's acceptance for reference data: a risk factor added by `outreach-hub reference` on a
running hub (`serve --workers 2`, a real subprocess, SQLite and PostgreSQL) reaches a device,
is saved by `outreach record`, projected, synced and counted on both sides; a record the hub
quarantined before the change is released."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import httpx
import msgspec
import pytest

from outreach import cli, paths
from outreach.hub import cli as hub_cli
from outreach.store.session import create_store, unlock_store
from outreach.store.store import Store
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from tests.hub.harness import (
    BACKENDS,
    Device,
    contact,
    make_hub,
    postgres_database,
    serve_in_process,
)
from tests.hub.test_batch_store import receipt
from tests.hub.test_reference_data import CHEMSEX, added_factor_contact
from tests.samples import FAST_KDF, PASSPHRASE

SPAN = (dt.date(2026, 1, 1), dt.date(2027, 12, 31))
LINE = {
    "type": "contact",
    "site": "outreach_van",
    "area": "LS6",
    "setting": "street",
    "risk_factors": ["chemsex", "homeless"],
}


def upload(url: str, envelope: bytes) -> tuple[int, int]:
    """(accepted, quarantined) of one batch sent on a new connection (any worker may take it)."""
    with httpx.Client(base_url=url) as client:
        answer = client.post("/v1/batches", content=envelope)
    assert answer.status_code == 200, answer.text
    result = receipt(answer.content)
    return result.accepted, result.quarantined


def record(capsys: pytest.CaptureFixture[str], data_dir: Path, line: Path) -> tuple[int, str]:
    code = cli.main(["--data-dir", str(data_dir), "record", "--file", str(line)])
    out, err = capsys.readouterr()
    return code, out + err


def laptop_counts(data_dir: Path, field: str) -> dict[str, int]:
    store = unlock_store(data_dir, "alice", PASSPHRASE)
    try:
        return {row[field]: row["count"] for row in store.counts([field], *SPAN, "contact")}
    finally:
        store.close()


def synced(data_dir: Path) -> tuple[int, int]:
    store: Store = unlock_store(data_dir, "alice", PASSPHRASE)
    try:
        result = sync_now(store)
        return result.accepted, result.quarantined
    finally:
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_risk_factor_added_on_a_running_hub_is_saved_synced_and_counted_on_both_sides(
    backend: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTREACH_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(cli, "setup_logging", lambda verbose: None)
    home = tmp_path / "hub"
    with contextlib.ExitStack() as stack:
        stack.callback(paths.set_data_dir, None)
        if backend == "sqlite":
            db_url = f"sqlite:///{home / 'hub.db'}"
        else:
            db_url = stack.enter_context(postgres_database())
        hub = make_hub(home, db_url)
        stack.callback(hub.engine.dispose)
        url = stack.enter_context(serve_in_process(home, db_url, workers=2))
        hub_command = ["--home", str(home), "--db", db_url]

        # Before the change: another device's record with the code is quarantined, and every
        # worker has read (and cached) today's lists.
        other = Device(hub, "dev-other")
        assert upload(url, other.batch([added_factor_contact(0)])) == (0, 1)
        for n in range(1, 5):
            assert upload(url, other.batch([contact(n)])) == (1, 0)
        data_dir = tmp_path / "laptop"
        store, _ = create_store(data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
        enrol(store, hub.new_enrolment(url).text())
        store.close()
        line = tmp_path / "contact.jsonl"
        line.write_text(json.dumps(LINE) + "\n", encoding="utf-8")
        code, said = record(capsys, data_dir, line)
        assert code == 1 and "unknown code 'chemsex'" in said and "Traceback" not in said

        # The coordinator adds the code on the running hub.
        reference = tmp_path / "reference.json"
        reference.write_bytes(msgspec.json.encode(CHEMSEX))
        assert hub_cli.main([*hub_command, "reference", str(reference)]) == 0
        out, err = capsys.readouterr()
        assert json.loads(out)["quarantine"] == {
            "checked": 1,
            "released": 1,
            "still_quarantined": 0,
        }
        assert "1 of 1 quarantined records now pass" in err

        # The device pulls it at its next sync, then saves, counts and syncs a contact with it.
        assert synced(data_dir) == (0, 0)
        code, said = record(capsys, data_dir, line)
        assert code == 0, said
        assert laptop_counts(data_dir, "risk_factors")["chemsex"] == 1
        assert laptop_counts(data_dir, "risk_level") == {"raised": 1}  # homeless 1 + added 1
        assert synced(data_dir) == (1, 0)

        # Every worker takes the new code without a restart (new connections, either worker).
        for n in range(5, 11):
            assert upload(url, other.batch([added_factor_contact(n)])) == (1, 0)

        counted = {r["risk_factors"]: r["count"] for r in hub.counts(["risk_factors"], *SPAN)}
        assert counted["chemsex"] == 1 + 1 + 6  # released, the laptop's, the later uploads
        levels = {r["risk_level"]: r["count"] for r in hub.counts(["risk_level"], *SPAN)}
        assert levels["raised"] >= 1
        assert hub_cli.main([*hub_command, "recheck"]) == 0
        assert json.loads(capsys.readouterr().out)["quarantine"]["checked"] == 0
