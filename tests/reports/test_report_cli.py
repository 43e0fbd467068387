"""`outreach export` and `outreach card` as a script runs them (real processes, real store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.reports.conftest import CODE_A
from tests.samples import KIT as SAMPLE_KIT
from tests.samples import PASSPHRASE

KIT = {**SAMPLE_KIT, "client_code": CODE_A, "occurred_at": "2026-01-10T10:00:00+00:00"}


def run(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "OUTREACH_PASSPHRASE": PASSPHRASE},
        timeout=120,
    )


@pytest.fixture(scope="module")
def cli_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("reports-cli")
    assert run(data_dir, "init", "--user", "cora", "--role", "coordinator").returncode == 0
    lines = "".join(json.dumps(KIT) + "\n" for _ in range(9))
    result = run(data_dir, "record", stdin=lines)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_export_csv_zip_and_published_pdf(cli_dir: Path, tmp_path: Path) -> None:
    """CSV zip has the exact 9 kits; the published PDF shows 10; neither has the client code."""
    zipped = tmp_path / "jan.zip"
    result = run(
        cli_dir, "export", "csv", "--from", "2026-01-01", "--to", "2026-01-31", "--out", str(zipped)
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(zipped) as archive:
        text = "".join(archive.read(name).decode() for name in archive.namelist())
    assert "nyxoid_1_8mg_nasal,9" in archive_text(zipped)
    assert CODE_A not in text
    pdf = tmp_path / "jan.pdf"
    result = run(
        cli_dir,
        "export",
        "pdf",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--out",
        str(pdf),
        "--publish",
    )
    assert result.returncode == 0, result.stderr
    shown = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    kits_line = next(line for line in shown.splitlines() if "Kits supplied" in line)
    assert kits_line.split()[-1] == "10"
    assert CODE_A not in shown


def test_export_by_financial_quarter(cli_dir: Path, tmp_path: Path) -> None:
    """`--period "FY2025-26 Q4"` is January to March 2026: the January kits are in it."""
    zipped = tmp_path / "q4.zip"
    result = run(cli_dir, "export", "csv", "--period", "FY2025-26 Q4", "--out", str(zipped))
    assert result.returncode == 0, result.stderr
    assert "nyxoid_1_8mg_nasal,9" in archive_text(zipped)
    with zipfile.ZipFile(zipped) as archive:
        about = archive.read("about.csv").decode()
    assert "period_start,2026-01-01" in about and "period_end,2026-03-31" in about


def archive_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("kits_by_product.csv").decode()


def test_card_command_writes_a_pdf(tmp_path: Path) -> None:
    """`outreach card` needs no store and writes the card."""
    out = tmp_path / "card.pdf"
    result = run(tmp_path, "card", "--referral", "R-7K3M-9QXZ", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("card", "--referral", "nonsense", "--out", "x.pdf"), "R-XXXX-XXXX"),
        (
            ("export", "pdf", "--from", "2026-02-01", "--to", "2026-01-01", "--out", "x.pdf"),
            "--from is after --to",
        ),
        (
            ("export", "pdf", "--from", "2026-01-01", "--to", "2026-01-31", "--out", "x.txt"),
            "must end in .pdf",
        ),
        (
            (
                "export",
                "csv",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
                "--out",
                "/no/such/x.zip",
            ),
            "does not exist",
        ),
        (("export", "csv", "--period", "FY2026-28", "--out", "x.zip"), "next year"),
        (("export", "csv", "--out", "x.zip"), "give --from and --to, or --period"),
        (
            ("export", "csv", "--period", "2026-01", "--from", "2026-01-01", "--out", "x.zip"),
            "not both",
        ),
    ],
)
def test_bad_input_is_a_clear_error(cli_dir: Path, args: tuple[str, ...], message: str) -> None:
    """Wrong arguments give one clear line and exit 1, never a traceback."""
    result = run(cli_dir, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
