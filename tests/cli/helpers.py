"""Running the `outreach` command in-process, as tests of its messages and exit codes need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from outreach import cli


def outreach(
    capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str
) -> tuple[int, str, str]:
    """Run `outreach --data-dir D ARGS…` in this process: (exit code, stdout, stderr)."""
    code = cli.main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def record_line(tmp_path: Path, data: dict[str, object]) -> str:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return str(path)


def refused(code: int, err: str, words: str) -> bool:
    """A refusal as people should see it: exit 1 and one line naming the reason."""
    lines = err.strip().splitlines()
    return code == 1 and len(lines) == 1 and words in lines[0] and "Traceback" not in err
