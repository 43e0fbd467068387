"""A printable referral card: the referral code as text and QR, and where it refers to.

It carries no personal data: the receiving service matches the code, nothing else.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from outreach.config import write_atomic
from outreach.domain.ids import is_referral_code
from outreach.errors import InvalidRecord
from outreach.reports.recovery_card import qr_png

CARD_SIZE = (85.6 * mm, 54 * mm)  # a bank-card size fits a wallet


def referral_card_pdf(referral_code: str, destination: str = "", service: str = "") -> bytes:
    if not is_referral_code(referral_code):
        raise InvalidRecord("referral code must look like R-XXXX-XXXX", field="referral_code")
    buffer = io.BytesIO()
    width, height = CARD_SIZE
    pdf = canvas.Canvas(buffer, pagesize=CARD_SIZE, pageCompression=1)
    pdf.setTitle(f"Referral {referral_code}")
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(5 * mm, height - 9 * mm, "Referral card")
    pdf.setFont("Helvetica", 8)
    if destination:
        pdf.drawString(5 * mm, height - 15 * mm, f"For: {destination}")
    if service:
        pdf.drawString(5 * mm, height - 20 * mm, f"From: {service}")
    pdf.drawString(5 * mm, 13 * mm, "Show this card; the code is all we need.")
    pdf.setFont("Courier-Bold", 13)
    pdf.drawString(5 * mm, 6 * mm, referral_code)
    image = ImageReader(io.BytesIO(qr_png(referral_code)))
    pdf.drawImage(image, width - 32 * mm, height - 34 * mm, 28 * mm, 28 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_referral_card(path: Path, referral_code: str, destination: str = "") -> None:
    write_atomic(path, referral_card_pdf(referral_code, destination))
