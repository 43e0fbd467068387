"""Ask for the reason before voiding a record (the original stays for the audit)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from outreach.domain.vocab import Vocabulary


class VoidDialog(QDialog):
    def __init__(self, vocab: Vocabulary, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Void record")
        self.reason = QComboBox()
        self.reason.setAccessibleName("Void reason")
        for code in vocab.codes("void_reason"):
            self.reason.addItem(vocab.label("void_reason", code), code)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Void")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel(f"Void {what}? It stops counting; the original is kept."))
        form.addRow("&Reason", self.reason)
        form.addRow(buttons)

    def chosen(self) -> str:
        return str(self.reason.currentData())
