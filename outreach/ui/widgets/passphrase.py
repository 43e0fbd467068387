"""A passphrase field pair with live strength feedback."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QProgressBar, QWidget

from outreach.ui.strength import passphrase_strength


def secret_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class NewPassphrase(QWidget):
    """Passphrase + confirmation; `changed` fires when acceptability changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first = secret_field("New passphrase")
        self.second = secret_field("Repeat passphrase")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName("Passphrase strength")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Passphrase", self.first)
        form.addRow("&Repeat", self.second)
        form.addRow("Strength", self.meter)
        form.addRow("", self.hint)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        strength = passphrase_strength(self.first.text())
        self.meter.setValue(strength.score)
        hint = f"{strength.label}: {strength.hint}"
        if self.second.text() and self.second.text() != self.first.text():
            hint += " The two passphrases differ."
        self.hint.setText(hint)
        self.meter.setAccessibleDescription(hint)
        self.changed.emit()

    def value(self) -> str | None:
        """The passphrase if acceptable and confirmed, else None."""
        text = self.first.text()
        if not passphrase_strength(text).acceptable or text != self.second.text():
            return None
        return text

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()
