"""Confirm revoking a device and say why (a reason code; no free text about people)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget


class RevokeDialog(QDialog):
    def __init__(self, device: str, reasons: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Revoke device")
        self.reason = QComboBox()
        self.reason.setAccessibleName("Revoke reason")
        self.reason.addItem("Choose a reason…", "")
        for code, label in reasons.items():
            self.reason.addItem(label, code)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("&Revoke")
        self.ok.setEnabled(False)
        self.reason.currentIndexChanged.connect(lambda _: self.ok.setEnabled(bool(self.chosen())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        warning = QLabel(
            f"Revoke {device}? The hub refuses it from now on, and it wipes its records and keys"
            " the next time it contacts the hub. Records it has not synced are lost. This cannot"
            " be undone: the device needs a new enrolment code to join again."
        )
        warning.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(warning)
        form.addRow("&Reason", self.reason)
        form.addRow(self.buttons)
        self.reason.setFocus()

    def chosen(self) -> str:
        return str(self.reason.currentData() or "")
