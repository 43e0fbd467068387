"""Keyboard-wedge scanner input that keeps the GS1 group separator.

A QLineEdit drops the raw GS character (ASCII 29) that ends variable-length GS1 fields, and some
scanners send it as Ctrl+]. An event filter catches both and shows a visible "␝" in its place;
`scan_text()` gives the string back with real GS characters for the parser.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from outreach.domain.gs1_text import GS, GS_SHOWN


def is_group_separator(event: QKeyEvent) -> bool:
    if event.text() == GS:
        return True
    ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
    return bool(ctrl) and event.key() == Qt.Key.Key_BracketRight


class ScanField(QLineEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Scan pack")
        self.setPlaceholderText("Scan the pack's DataMatrix (or type (01)…(17)…(10)…(21)…)")
        self.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if (
            watched is self
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and is_group_separator(event)
        ):
            self.insert(GS_SHOWN)
            return True
        return super().eventFilter(watched, event)

    def scan_text(self) -> str:
        return self.text().replace(GS_SHOWN, GS)
