"""QR code images for the screen (recovery key, enrolment)."""

from __future__ import annotations

from PySide6.QtGui import QPixmap

from outreach.reports.recovery_card import qr_png


def qr_pixmap(text: str, size: int = 220) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(qr_png(text), "PNG")
    return pixmap.scaled(size, size)
