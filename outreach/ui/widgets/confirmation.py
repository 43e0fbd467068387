"""The visible "Saved" banner with an Undo button that lasts 10 seconds."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

UNDO_SECONDS = 10


class SavedBanner(QWidget):
    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setAccessibleName("Confirmation")
        self.undo_button = QPushButton("&Undo")
        self.undo_button.setAccessibleName("Undo last save")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button)
        self.setStyleSheet("SavedBanner { background: palette(alternate-base); }")
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: self.undo_button.setVisible(False))
        self.undo_button.clicked.connect(self._undo)
        self._on_undo: Callable[[], None] | None = None
        self.hide()

    def show_saved(self, text: str, on_undo: Callable[[], None] | None) -> None:
        self.label.setText(text)
        self._on_undo = on_undo
        self.undo_button.setVisible(on_undo is not None)
        self.show()
        self.timer.start(UNDO_SECONDS * 1000)

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.undo_button.setVisible(False)
        self.show()

    def _undo(self) -> None:
        self.undo_button.setVisible(False)
        if self._on_undo is not None and self.timer.isActive():
            self.timer.stop()
            self._on_undo()
