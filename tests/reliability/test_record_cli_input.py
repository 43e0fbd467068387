"""`outreach record` given hostile bytes: a clear error naming the line, exit 1, nothing saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import KIT, PASSPHRASE

GOOD = json.dumps(KIT).encode()
HOSTILE = {
    "nested 100,000 deep": (b"[" * 100_000, "nested more than 32 levels"),
    "nested in a field": (GOOD[:-1] + b', "substances": ' + b"[" * 5_000 + b"}", "nested"),
    "5,000-digit integer": (GOOD[:-1] + b', "schema": ' + b"9" * 5_000 + b"}", "too many digits"),
    "4,000-digit integer": (GOOD[:-1] + b', "schema": -' + b"9" * 4_000 + b"}", "schema"),
    "not UTF-8": (GOOD[:20] + b"\xff\xfe" + GOOD[20:], "not UTF-8"),
}


def run(data_dir: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE, "PYTHONIOENCODING": "utf-8:strict"}
    return subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("record-input")
    assert run(path, "init", "--user", "alice", "--role", "worker").returncode == 0
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_line_is_refused_by_line_and_nothing_saved(data_dir: Path, name: str) -> None:
    """Deep nesting, huge integers and non-UTF-8 bytes between good lines: exit 1, the line
    named with a reason, no traceback, no record saved."""
    line, words = HOSTILE[name]
    result = run(data_dir, "record", stdin=b"\n".join([GOOD, line, GOOD]) + b"\n")
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert "line 2" in stderr and words in stderr and "nothing was saved" in stderr
    status = json.loads(run(data_dir, "status").stdout)
    assert status["records"] == 0
