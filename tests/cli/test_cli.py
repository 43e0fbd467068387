"""The `outreach` command end to end, as a script would use it (real processes, real store)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import KIT, PASSPHRASE


def run(
    data_dir: Path, *args: str, stdin: str = "", passphrase: str = PASSPHRASE
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OUTREACH_PASSPHRASE": passphrase}
    return subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def jsonl(*records: dict[str, object]) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


@pytest.fixture(scope="module")
def cli_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli")
    result = run(data_dir, "init", "--user", "alice", "--role", "worker")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["recovery_key"]) == 35
    return data_dir


def test_record_then_counts_gives_the_right_numbers(cli_dir: Path) -> None:
    """init → record (stdin) → counts --by product,recipient gives the recorded numbers."""
    sample = jsonl(
        KIT,
        KIT,
        {**KIT, "recipient": "family_friend"},
        {**KIT, "product": "prenoxad_2mg_syringe", "recipient": "family_friend"},
        {
            "type": "contact",
            "site": "outreach_van",
            "area": "LS6",
            "setting": "street",
            "age_band": "25_34",
        },
    )
    result = run(cli_dir, "record", stdin=sample)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["saved"] == 5
    result = run(cli_dir, "counts", "--by", "product,recipient")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"product": "nyxoid_1_8mg_nasal", "recipient": "family_friend", "count": 1},
        {"product": "nyxoid_1_8mg_nasal", "recipient": "person_at_risk", "count": 2},
        {"product": "prenoxad_2mg_syringe", "recipient": "family_friend", "count": 1},
    ]
    result = run(cli_dir, "counts", "--by", "product", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows == [
        {"product": "nyxoid_1_8mg_nasal", "count": "3"},
        {"product": "prenoxad_2mg_syringe", "count": "1"},
    ]


def test_one_bad_line_writes_nothing_and_names_line_and_field(
    cli_dir: Path, tmp_path: Path
) -> None:
    """A file with one bad line is refused whole, and the error names the line and field."""
    before = json.loads(run(cli_dir, "status").stdout)["records"]
    sample = tmp_path / "sample.jsonl"
    sample.write_text(jsonl(KIT, {**KIT, "recipient": "neighbour"}, KIT))
    result = run(cli_dir, "record", "--file", str(sample))
    assert result.returncode == 1
    assert "line 2" in result.stderr and "'recipient'" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(run(cli_dir, "status").stdout)["records"] == before


def test_not_json_and_unknown_files_are_clear_errors(cli_dir: Path, tmp_path: Path) -> None:
    """Garbage input and missing files give one-line errors, never a traceback."""
    result = run(cli_dir, "record", stdin='{"type": "kit_issue"\n')
    assert result.returncode == 1 and "line 1: not valid JSON" in result.stderr
    result = run(cli_dir, "record", "--file", str(tmp_path / "missing.jsonl"))
    assert result.returncode == 1 and "cannot read" in result.stderr
    result = run(cli_dir, "counts", "--by", "shoe_size")
    assert result.returncode == 1 and "shoe_size" in result.stderr
    for result in (
        run(cli_dir, "record", stdin='{"type": "kit_issue"\n'),
        run(cli_dir, "counts", "--from", "yesterday"),
    ):
        assert "Traceback" not in result.stderr


def test_wrong_passphrase_is_a_clean_error(cli_dir: Path) -> None:
    """A wrong passphrase exits 1 with one line, no stack trace."""
    result = run(cli_dir, "status", passphrase="this is not it")
    assert result.returncode == 1
    assert result.stderr.strip() == "outreach: error: wrong passphrase"


def test_status_checks_integrity(cli_dir: Path) -> None:
    """`status --check` verifies every page and reports ok."""
    result = run(cli_dir, "status", "--check")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["integrity"] == "ok" and status["users"] == [{"user": "alice", "role": "worker"}]
    sync = status["sync"]
    assert sync["enrolled"] is False and sync["hub"] is None and sync["last_sync"] is None
    assert sync["pending"] == status["records"] and sync["acked_through"] == 0


def test_commands_without_a_store_say_how_to_start(tmp_path: Path) -> None:
    """Using a data dir with no store points to `outreach init`."""
    result = run(tmp_path, "counts")
    assert result.returncode == 1 and "outreach init" in result.stderr


def test_the_shipped_sample_records_and_counts(tmp_path: Path) -> None:
    """The README's sample file records whole and counts kits by product and recipient."""
    sample = Path(__file__).resolve().parents[2] / "examples" / "sample.jsonl"
    assert run(tmp_path, "init", "--user", "sam", "--role", "worker").returncode == 0
    result = run(tmp_path, "record", stdin=sample.read_text())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["saved"] == 7
    counted = json.loads(run(tmp_path, "counts", "--by", "product,recipient").stdout)
    assert counted == [
        {"product": "nyxoid_1_8mg_nasal", "recipient": "family_friend", "count": 1},
        {"product": "nyxoid_1_8mg_nasal", "recipient": "person_at_risk", "count": 2},
        {"product": "prenoxad_2mg_syringe", "recipient": "person_at_risk", "count": 1},
    ]
    by_risk = json.loads(run(tmp_path, "counts", "--by", "risk_level").stdout)
    assert by_risk == [{"risk_level": "high", "count": 1}, {"risk_level": "very_high", "count": 1}]


def test_users_passphrases_and_recovery_from_the_command_line(tmp_path: Path) -> None:
    """add-user, passphrase and recover work from scripts; the old passphrase stops working."""
    created = run(tmp_path, "init", "--user", "ann", "--role", "coordinator")
    recovery = json.loads(created.stdout)["recovery_key"]
    new = {"OUTREACH_NEW_PASSPHRASE": "bobs own passphrase"}
    env = {**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE, **new}
    base = [sys.executable, "-m", "outreach", "--data-dir", str(tmp_path)]
    added = subprocess.run(
        [*base, "add-user", "bob", "--role", "pharmacy", "--user", "ann"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    assert (
        run(tmp_path, "status", "--user", "bob", passphrase="bobs own passphrase").returncode == 0
    )
    env["OUTREACH_NEW_PASSPHRASE"] = "ann changed it"
    changed = subprocess.run(
        [*base, "passphrase", "--user", "ann"], env=env, capture_output=True, text=True
    )
    assert changed.returncode == 0, changed.stderr
    assert run(tmp_path, "status", "--user", "ann").returncode == 1
    env.update(OUTREACH_RECOVERY_KEY=recovery, OUTREACH_NEW_PASSPHRASE="ann recovered it")
    recovered = subprocess.run(
        [*base, "recover", "--user", "ann"], env=env, capture_output=True, text=True
    )
    assert recovered.returncode == 0, recovered.stderr
    assert run(tmp_path, "status", "--user", "ann", passphrase="ann recovered it").returncode == 0


def test_counts_for_publication_suppress_and_round(tmp_path: Path) -> None:
    """--publish: 8 shows as 10, 13 as 15, 1 as '*'; unpublished counts stay exact."""
    assert run(tmp_path, "init", "--user", "pat", "--role", "coordinator").returncode == 0
    kits = (
        [KIT] * 8
        + [{**KIT, "product": "prenoxad_2mg_syringe"}] * 13
        + [{**KIT, "product": "other_nasal"}]
    )
    assert run(tmp_path, "record", stdin=jsonl(*kits)).returncode == 0
    exact = json.loads(run(tmp_path, "counts", "--by", "product").stdout)
    published = json.loads(run(tmp_path, "counts", "--by", "product", "--publish").stdout)
    assert [row["count"] for row in exact] == [8, 1, 13]
    assert [row["count"] for row in published] == [10, "*", 15]


def test_status_on_a_missing_folder_says_so_and_fails(tmp_path: Path) -> None:
    """`status` on a data folder that does not exist names it, exits 1 and does not make it."""
    missing = tmp_path / "no-such-folder"
    result = run(missing, "status")
    assert result.returncode == 1
    assert "no data folder" in result.stderr and str(missing) in result.stderr
    assert "Traceback" not in result.stderr
    assert not missing.exists()


def test_status_on_a_folder_without_a_store_fails(tmp_path: Path) -> None:
    """`status` on an existing folder holding no store reports `store: false` and exits 1."""
    result = run(tmp_path, "status")
    assert result.returncode == 1
    assert json.loads(result.stdout)["store"] is False
    assert "no store" in result.stderr


def test_a_reader_that_goes_away_is_not_a_traceback(cli_dir: Path) -> None:
    """`outreach status | head`: the pipe's reader closed before the output was written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "outreach", "--data-dir", str(cli_dir), "status"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE},
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == ""
