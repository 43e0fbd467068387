"""A printable enrolment code: one A4 page with the code's QR, its text and what it is for.

The code is a one-time secret for joining a device to the hub: the page says so. It names the
device's role and label (a device's name such as "van 2", never a person's).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from outreach.config import write_atomic
from outreach.domain.roles import ROLE_LABELS
from outreach.errors import InvalidRecord
from outreach.reports.recovery_card import qr_png

CODE_COLUMNS = 64  # characters of the code's text a line, in 9 pt Courier inside the margins


def enrolment_sheet_pdf(code: str, role: str, label: str = "", days: int = 7) -> bytes:
    """One A4 page: the role and label, the QR (9 cm), the code's text and how to use it."""
    if not code.strip() or role not in ROLE_LABELS:
        raise InvalidRecord("an enrolment sheet needs a code and a known role", field="code")
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle("Outreach enrolment code")
    left, top = 20 * mm, height - 25 * mm
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(left, top, "Outreach enrolment code")
    pdf.setFont("Helvetica", 12)
    lines = [
        f"For one {ROLE_LABELS[role]} device" + (f": {label}" if label else ""),
        f"Valid for {days} day(s) from when it was made, and for one device only.",
    ]
    for number, line in enumerate(lines, start=1):
        pdf.drawString(left, top - number * 8 * mm, line)
    side = 90 * mm
    image = ImageReader(io.BytesIO(qr_png(code)))
    pdf.drawImage(image, (width - side) / 2, top - 28 * mm - side, side, side)
    pdf.setFont("Helvetica", 10)
    steps = (
        "On the new device: Sync > Enrol this device, then scan this code, choose a photo of",
        "it, or paste the text below. Keep this page like a key and destroy it once used.",
    )
    y = top - 36 * mm - side
    for step in steps:
        pdf.drawString(left, y, step)
        y -= 6 * mm
    pdf.setFont("Courier", 9)
    for line in textwrap.wrap(code, CODE_COLUMNS, break_on_hyphens=False):
        y -= 5 * mm
        pdf.drawString(left, y, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_enrolment_sheet(path: Path, code: str, role: str, label: str = "", days: int = 7) -> None:
    write_atomic(path, enrolment_sheet_pdf(code, role, label, days))
