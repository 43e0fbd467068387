"""`outreach enrol` on a laptop whose records carry client codes from its own key: refused with
what would happen, then done with --unlink-local-codes, and those records marked."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from outreach import cli, paths
from outreach.domain.client_code import make_client_code
from outreach.hub.service import Hub
from outreach.store.session import create_store, unlock_store
from outreach.sync import enrolment, reference
from tests.samples import CONTACT, FAST_KDF, PASSPHRASE


def test_enrol_refuses_then_unlinks_local_codes_when_told(
    hub: Hub,
    hub_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTREACH_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(cli, "setup_logging", lambda verbose: None)
    data = tmp_path / "laptop"
    store, _ = create_store(data, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    code = make_client_code(reference.service_key(store), "AB", dt.date(1980, 1, 2), "male")
    store.add_new({**CONTACT, "client_code": code})
    store.close()
    text = hub.new_enrolment(hub_url).text()
    try:
        assert cli.main(["--data-dir", str(data), "enrol", text]) == 1
        out, err = capsys.readouterr()
        assert out == "" and "1 record(s) here carry client codes" in err
        assert "will not match" in err and "--unlink-local-codes" in err
        assert "Traceback" not in err and hub.list_devices() == []

        assert cli.main(["--data-dir", str(data), "enrol", text, "--unlink-local-codes"]) == 0
        out, err = capsys.readouterr()
        assert json.loads(out)["unlinked_client_codes"] == 1
        assert "1 record(s) keep client codes" in err
    finally:
        paths.set_data_dir(None)
    store = unlock_store(data, "alice", PASSPHRASE)
    try:
        assert enrolment.local_codes_through(store) == 1 and enrolment.codes_to_unlink(store) == 0
    finally:
        store.close()
