"""`outreach record` applies the same entry rules as the forms."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import cli_dir, jsonl, run  # noqa: F401 - cli_dir is a fixture
from tests.samples import CONTACT


def test_record_refuses_an_empty_contact_and_saves_nothing(cli_dir: Path) -> None:  # noqa: F811
    """An empty contact among good lines: exit 1, the line named, nothing saved."""
    good = {**CONTACT, "age_band": "25_34"}
    result = run(cli_dir, "record", stdin=jsonl(good, CONTACT))
    assert result.returncode == 1
    assert "line 2" in result.stderr and "nothing was recorded about this contact" in result.stderr
    assert "nothing was saved" in result.stderr
