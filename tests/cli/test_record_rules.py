"""`outreach record` applies the same entry rules as the forms."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import cli_dir, jsonl, run  # noqa: F401 - cli_dir is a fixture
from tests.samples import CONTACT, KIT


def test_record_refuses_an_empty_contact_and_saves_nothing(cli_dir: Path) -> None:  # noqa: F811
    """An empty contact among good lines: exit 1, the line named, nothing saved."""
    good = {**CONTACT, "age_band": "25_34"}
    result = run(cli_dir, "record", stdin=jsonl(good, CONTACT))
    assert result.returncode == 1
    assert "line 2" in result.stderr and "nothing was recorded about this contact" in result.stderr
    assert "nothing was saved" in result.stderr


def _records(data_dir: Path) -> int:
    result = run(data_dir, "status")
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["records"])


def test_record_refuses_a_repeat_serial_unless_allowed(cli_dir: Path) -> None:  # noqa: F811
    """A pack serial issued before (stored, or earlier in the batch) is refused as the form
    refuses it; --allow-repeat-serial issues it."""
    kit = {**KIT, "serial": "SN-CLI-REPEAT"}
    assert run(cli_dir, "record", stdin=jsonl(kit)).returncode == 0
    before = _records(cli_dir)
    again = run(cli_dir, "record", stdin=jsonl({**KIT, "serial": "SN-CLI-OTHER"}, kit))
    assert again.returncode == 1
    assert "SN-CLI-REPEAT was already issued" in again.stderr
    assert "--allow-repeat-serial" in again.stderr and "Traceback" not in again.stderr
    twice = {**KIT, "serial": "SN-CLI-TWICE"}
    same_batch = run(cli_dir, "record", stdin=jsonl(twice, twice))
    assert same_batch.returncode == 1 and "SN-CLI-TWICE" in same_batch.stderr
    assert _records(cli_dir) == before
    allowed = run(cli_dir, "record", "--allow-repeat-serial", stdin=jsonl(kit))
    assert allowed.returncode == 0, allowed.stderr
    assert _records(cli_dir) > before
