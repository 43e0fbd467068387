"""`outreach-hub` and the device's `enrol` / `sync` commands as real processes, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.hub.harness import serve_in_process
from tests.samples import CONTACT, PASSPHRASE


def device(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE},
        timeout=120,
    )


def hub_cmd(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "from outreach.hub.cli import main; raise SystemExit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_usb_and_https_journey_from_the_command_line(tmp_path: Path) -> None:
    """init hub → enrol code + QR → device enrol → sync --to-dir → import → sync → counts."""
    home, data = tmp_path / "hub", tmp_path / "device"
    assert json.loads(ok(hub_cmd(home, "init")))["hub"]
    assert "already exist" in hub_cmd(home, "init").stderr
    db_url = f"sqlite:///{home / 'hub.db'}"
    with serve_in_process(home, db_url) as url:
        qr = tmp_path / "code.png"
        code = ok(hub_cmd(home, "enrol", "--url", url, "--label", "van 2", "--qr", str(qr)))
        assert code.startswith("OUTREACH-ENROL-1:") and qr.read_bytes()[:4] == b"\x89PNG"
        ok(device(data, "init", "--user", "alice", "--role", "worker"))
        enrolled = json.loads(ok(device(data, "enrol", code.strip())))
        lines = "\n".join(json.dumps({**CONTACT, "age_band": "25_34"}) for _ in range(30)) + "\n"
        ok(device(data, "record", stdin=lines))
        usb = tmp_path / "usb"
        written = json.loads(ok(device(data, "sync", "--to-dir", str(usb))))["files"]
        assert len(written) == 1
        imported = json.loads(ok(hub_cmd(home, "import", *written)))
        assert imported[0]["accepted"] == 30 and imported[0]["acked_through"] == 30
        synced = json.loads(ok(device(data, "sync")))
        assert synced["acked_through"] == 30 and synced["pending"] == 0
        assert synced["duplicates"] == 0
        counts = json.loads(
            ok(
                hub_cmd(
                    home, "counts", "--from", "2000-01-01", "--to", "2100-01-01", "--by", "site"
                )
            )
        )
        assert counts == [{"site": "outreach_van", "count": 30}]
        devices = json.loads(ok(hub_cmd(home, "devices")))
        assert devices[0]["label"] == "van 2" and devices[0]["acked_through"] == 30
        ok(hub_cmd(home, "revoke", enrolled["device_id"]))
        refused = device(data, "sync")
        assert refused.returncode == 1 and "revoked" in refused.stderr
        assert not (data / "keyslots.json").exists() and not (data / "outreach.db").exists()
    bad = hub_cmd(home, "counts", "--from", "yesterday", "--to", "2100-01-01")
    assert bad.returncode == 1 and "bad date" in bad.stderr and "Traceback" not in bad.stderr
