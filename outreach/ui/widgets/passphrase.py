"""A passphrase field pair with live strength feedback (the core's policy, zxcvbn)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QProgressBar, QWidget

from outreach.ui.strength import passphrase_strength

# zxcvbn takes 5-50 ms on a long passphrase: estimate once typing pauses, not on every key.
ESTIMATE_AFTER_MS = 120


def secret_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class NewPassphrase(QWidget):
    """Passphrase + confirmation; `changed` fires when the feedback is updated."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._user = ""
        self.first = secret_field("New passphrase")
        self.second = secret_field("Repeat passphrase")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setAccessibleName("Passphrase strength")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.hint.setMinimumHeight(self.hint.fontMetrics().lineSpacing() * 3)  # room for feedback
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Passphrase", self.first)
        form.addRow("&Repeat", self.second)
        form.addRow("Strength", self.meter)
        form.addRow("", self.hint)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(ESTIMATE_AFTER_MS)
        self._pause.timeout.connect(self._update)
        self.first.textChanged.connect(self._pause.start)
        self.second.textChanged.connect(self._pause.start)
        self._update()

    def set_user(self, name: str) -> None:
        """The user the passphrase is for: their name counts against it, as in the store."""
        self._user = name.strip()
        self._pause.start()

    def _inputs(self) -> tuple[str, ...]:
        return (self._user,) if self._user else ()

    def _update(self) -> None:
        strength = passphrase_strength(self.first.text(), self._inputs())
        self.meter.setValue(strength.score)
        hint = f"{strength.label}: {strength.hint}"
        if self.second.text() and self.second.text() != self.first.text():
            hint += " The two passphrases differ."
        self.hint.setText(hint)
        self.meter.setAccessibleDescription(hint)
        self.changed.emit()

    def problem(self) -> str:
        """Why the passphrase cannot be used yet (the policy's feedback), or "" if it can."""
        text = self.first.text()
        strength = passphrase_strength(text, self._inputs())
        if not strength.acceptable:
            return f"{strength.label}: {strength.hint}"
        if self.second.text() != text:
            return "The two passphrases differ." if self.second.text() else "Type it again."
        return ""

    def value(self) -> str | None:
        """The passphrase if acceptable and confirmed, else None (see `problem`)."""
        return None if self.problem() else self.first.text()

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()
