"""The data directory under stress: a full disk for the log, a read-only directory, and files
that others could read."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import KIT, PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


def outreach(
    data_dir: Path, *args: str, stdin: str = "", wrap: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), *args]
    return subprocess.run(
        [*(wrap or []), *command],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE},
        timeout=120,
    )


def init_with_a_record(data_dir: Path) -> None:
    assert outreach(data_dir, "init", "--user", "alice", "--role", "worker").returncode == 0
    saved = outreach(data_dir, "record", stdin=json.dumps(KIT) + "\n")
    assert saved.returncode == 0, saved.stderr


def read_only(data_dir: Path) -> list[str]:
    """A command prefix that runs with `data_dir` read-only: a read-only bind mount in a private
    mount namespace for root (who ignores file modes), else the modes themselves."""
    if os.geteuid() != 0:
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: cannot make a read-only directory")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root without mount namespaces: no read-only directory")
    mount = f'mount --bind "{data_dir}" "{data_dir}" && mount -o remount,bind,ro "{data_dir}"'
    return ["unshare", "-m", "sh", "-c", f'{mount} && exec "$@"', "sh"]


def test_a_full_disk_under_the_log_prints_no_logging_traceback(tmp_path: Path) -> None:
    """With the log file on a full device (/dev/full), commands work and stderr stays clean."""
    data_dir = tmp_path / "data"
    (data_dir / "logs").mkdir(parents=True)
    (data_dir / "logs" / "outreach.log").symlink_to("/dev/full")
    result = outreach(data_dir, "init", "--user", "alice", "--role", "worker")
    assert result.returncode == 0
    assert "Logging error" not in result.stderr and "Traceback" not in result.stderr
    status = outreach(data_dir, "-v", "status", "--check")
    assert status.returncode == 0 and json.loads(status.stdout)["integrity"] == "ok"
    assert "Logging error" not in status.stderr and "Traceback" not in status.stderr


def test_status_works_in_a_read_only_data_dir(tmp_path: Path) -> None:
    """`status --check` reads a store in a read-only directory; a save is refused clearly."""
    data_dir = tmp_path / "data"
    init_with_a_record(data_dir)
    wrap = read_only(data_dir)
    before = sorted(p.name for p in data_dir.iterdir())
    try:
        status = outreach(data_dir, "status", "--check", wrap=wrap)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["records"] == 1
        assert json.loads(status.stdout)["integrity"] == "ok"
        saved = outreach(data_dir, "record", stdin=json.dumps(KIT) + "\n", wrap=wrap)
        assert saved.returncode == 1 and "Traceback" not in saved.stderr
        assert "outreach: error:" in saved.stderr
    finally:
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert sorted(p.name for p in data_dir.iterdir()) == before


def test_data_dir_and_files_are_private_on_create_and_on_open(tmp_path: Path) -> None:
    """A world-readable data dir and files are made 0700/0600 at init and at the next open."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    init_with_a_record(data_dir)

    def modes() -> dict[str, int]:
        found = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data_dir.iterdir() if p.is_file()}
        return {**found, ".": stat.S_IMODE(data_dir.stat().st_mode)}

    assert set(modes().values()) <= {0o600, 0o700}, modes()
    assert modes()["."] == 0o700 and modes()["settings.json"] == 0o600
    for path in [data_dir, *data_dir.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert outreach(data_dir, "status").returncode == 0
    assert modes()["."] == 0o700
    assert {name: mode for name, mode in modes().items() if name != "."} == {
        name: 0o600 for name in modes() if name != "."
    }
    log_file = data_dir / "logs" / "outreach.log"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
