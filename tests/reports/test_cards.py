"""Referral and recovery cards: the QR inside the PDF decodes back to its content."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from outreach.domain.ids import new_referral_code
from outreach.errors import InvalidRecord
from outreach.reports.cards import recovery_card, referral_card


def decode_pdf_qr(path: Path) -> list[str]:
    """Render page 1 with pdftoppm and read every QR code with zbar (`zbarimg`), a decoder
    independent of the app's own (zxing-cpp) and of the encoder."""
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "200",
            "-f",
            "1",
            "-l",
            "1",
            str(path),
            str(path.with_suffix("")),
        ],
        check=True,
    )
    png = next(path.parent.glob(f"{path.stem}*.png"))
    found = subprocess.run(
        ["zbarimg", "--xml", "--quiet", str(png)], capture_output=True, text=True, check=False
    )
    if found.returncode not in (0, 4):  # 4: no symbol found
        raise RuntimeError(found.stderr)
    root = ET.fromstring(found.stdout)
    return [data.text or "" for data in root.iter("{http://zbar.sourceforge.net/2008/barcode}data")]


def test_referral_card_qr_decodes_to_the_code(tmp_path: Path) -> None:
    """The card's QR holds exactly the referral code; the text shows code and destination."""
    code = new_referral_code()
    out = tmp_path / "card.pdf"
    referral_card(out, code, "Drug treatment", service_name="Leeds outreach")
    assert decode_pdf_qr(out) == [code]
    text = subprocess.run(
        ["pdftotext", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert code in text and "Drug treatment" in text and "Leeds outreach" in text


def test_recovery_card_qr_decodes_to_the_key(tmp_path: Path) -> None:
    """The recovery card's QR gives back the recovery key."""
    key = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789"
    out = tmp_path / "recovery.pdf"
    recovery_card(out, key)
    assert decode_pdf_qr(out) == [key]


def test_bad_referral_code_is_a_clear_error(tmp_path: Path) -> None:
    """A malformed code is refused before any file is written."""
    with pytest.raises(InvalidRecord, match="R-XXXX-XXXX"):
        referral_card(tmp_path / "x.pdf", "not-a-code")
    assert not (tmp_path / "x.pdf").exists()
