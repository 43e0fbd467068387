"""CSV and PDF exports: tidy tables, readable numbers, disclosure control, never a client code."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from outreach.domain.client_code import format_client_code
from outreach.domain.vocab import Code, base_vocabulary
from outreach.reports.commissioner import local_counts
from outreach.reports.csv_export import write_csv
from outreach.reports.pdf_report import write_pdf
from outreach.store.store import Store
from tests.reports.conftest import CODES, JANUARY


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def assert_no_client_code(text: str) -> None:
    for code in CODES:
        assert code not in text
        assert format_client_code(code) not in text


def test_csv_zip_has_one_tidy_table_per_count(seeded: Store, tmp_path: Path) -> None:
    """The zip holds about, headlines and one CSV per table with exact counts."""
    counts = local_counts(seeded.conn, *JANUARY)
    out = tmp_path / "january.zip"
    write_csv(counts, out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        files = {name: archive.read(name).decode() for name in names}
    assert names[:2] == ["about.csv", "headlines.csv"]
    assert {f"{t.name}.csv" for t in counts.tables} <= set(names)
    products = list(csv.reader(io.StringIO(files["kits_by_product.csv"])))
    assert products == [
        ["product", "count"],
        ["nyxoid_1_8mg_nasal", "3"],
        ["prenoxad_2mg_syringe", "1"],
    ]
    area = list(csv.reader(io.StringIO(files["high_risk_without_kit_by_area.csv"])))
    assert area[0] == ["area", "risk_level", "count"]
    assert_no_client_code("".join(files.values()))


def test_published_csv_folder_is_suppressed(seeded: Store, tmp_path: Path) -> None:
    """A folder export with --publish shows * for the small counts and says so in about.csv."""
    counts = local_counts(seeded.conn, *JANUARY).for_publication()
    written = write_csv(counts, tmp_path / "out")
    text = "".join(path.read_text() for path in written)
    assert "nyxoid_1_8mg_nasal,*" in text
    assert "published,yes" in text
    assert ",3\n" not in text and ",1\n" not in text
    assert_no_client_code(text)


@pytest.mark.parametrize("publish", [False, True])
def test_pdf_report_shows_the_numbers(seeded: Store, tmp_path: Path, publish: bool) -> None:
    """pdftotext finds the period, headlines and counts (or * when published)."""
    counts = local_counts(seeded.conn, *JANUARY, site=None)
    if publish:
        counts = counts.for_publication()
    out = tmp_path / "report.pdf"
    write_pdf(counts, out, service_name="Leeds outreach")
    text = pdf_text(out)
    assert "01 January 2026 to 31 January 2026" in text
    assert "Leeds outreach" in text
    assert "Nyxoid 1.8 mg nasal spray" in text
    kits_line = next(line for line in text.splitlines() if "Kits supplied" in line)
    if publish:
        assert "For publication" in text
        assert kits_line.split()[-1] == "*"
    else:
        assert "NOT for publication" in text
        assert kits_line.split()[-1] == "4"
    assert_no_client_code(text)
    assert_no_client_code(out.read_bytes().decode("latin-1"))


def test_pdf_for_one_site_names_it(seeded: Store, tmp_path: Path) -> None:
    """The cover names the chosen site."""
    out = tmp_path / "site.pdf"
    write_pdf(local_counts(seeded.conn, *JANUARY, site="pharmacy"), out)
    assert "Site: Partner pharmacy" in pdf_text(out)


def test_pdf_shows_labels_and_service_names_as_literal_text(seeded: Store, tmp_path: Path) -> None:
    """`&`, `<` and `>` in a site label or the service name print as typed, not as PDF markup."""
    vocab = base_vocabulary().merged({"site": [Code("ae_leeds", "A&E <Leeds>")]})
    out = tmp_path / "markup.pdf"
    counts = local_counts(seeded.conn, *JANUARY, site="ae_leeds")
    write_pdf(counts, out, vocab=vocab, service_name="<b>x & <i>Leeds</i>")
    text = pdf_text(out)
    assert "Site: A&E <Leeds>" in text
    assert "Service: <b>x & <i>Leeds</i>" in text
