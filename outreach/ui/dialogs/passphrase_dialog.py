"""What the passphrase dialogs share: a form ending in a message line and OK / Cancel, and one way
to show a failure so the person can correct it and try again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from outreach.ui.context import AppContext
from outreach.ui.messages import explain

MIN_WIDTH = 480  # the strength feedback wraps to two or three lines, not six


class PassphraseDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setMinimumWidth(MIN_WIDTH)
        self.message = QLabel()
        self.message.setWordWrap(True)
        # room reserved for a refusal with its advice (three lines): nothing moves, nothing overlaps
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() * 3)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.rejected.connect(self.reject)
        self.buttons.accepted.connect(self._go)

    def finish_form(self, form: QFormLayout) -> None:
        """Add the message line and the buttons below the dialog's own rows."""
        form.addRow(self.message)
        form.addRow(self.buttons)

    def _go(self) -> None:
        raise NotImplementedError

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        info = explain(error)
        self.message.setText(f"{info.title}: {info.message}")
