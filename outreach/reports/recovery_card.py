"""The printable recovery-key card shown once at set-up (text + QR), written with reportlab."""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from outreach.config import write_atomic


def qr_png(text: str) -> bytes:
    """PNG bytes of a QR code for `text` (medium error correction, survives a crease)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def recovery_card_pdf(recovery_key: str, *, store_id: str = "", user: str = "") -> bytes:
    """One A4 page: what the key is for, the key in large type, and its QR code."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle("Outreach recovery key")
    width, height = A4
    top = height - 30 * mm
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(25 * mm, top, "Outreach — recovery key")
    pdf.setFont("Helvetica", 11)
    lines = [
        "This key opens the encrypted store on this device if every passphrase is forgotten.",
        "Keep it locked away, apart from the device. Anyone with it and the device can read it.",
    ]
    if user:
        lines.append(f"Created by user: {user}")
    if store_id:
        lines.append(f"Store: {store_id}")
    for number, line in enumerate(lines):
        pdf.drawString(25 * mm, top - (10 + 6 * number) * mm, line)
    pdf.setFont("Courier-Bold", 15)
    pdf.drawString(25 * mm, top - 45 * mm, recovery_key)
    image = ImageReader(io.BytesIO(qr_png(recovery_key)))
    pdf.drawImage(image, 25 * mm, top - 120 * mm, 65 * mm, 65 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_recovery_card(
    path: Path, recovery_key: str, *, store_id: str = "", user: str = ""
) -> None:
    write_atomic(path, recovery_card_pdf(recovery_key, store_id=store_id, user=user))
