"""Enrol this device with the hub: paste the coordinator's code or load a picture of its QR."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from outreach.errors import InvalidRecord
from outreach.ui import sync_api
from outreach.ui.context import AppContext
from outreach.ui.messages import explain


class EnrolDialog(QDialog):
    enrolled = Signal(object)  # EnrolmentInfo

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Enrol this device")
        self.code = QPlainTextEdit()
        self.code.setAccessibleName("Enrolment code")
        self.code.setPlaceholderText("Paste the enrolment code from your coordinator")
        self.code.setTabChangesFocus(True)
        self.load_button = QPushButton("&Load QR image…")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Enrolment message")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Enrol")
        layout = QVBoxLayout(self)
        layout.addWidget(self.code)
        layout.addWidget(self.load_button)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.load_button.clicked.connect(self._pick_image)
        self.buttons.accepted.connect(self.enrol)
        self.buttons.rejected.connect(self.reject)

    def load_image(self, path: Path) -> None:
        from outreach.ui.qr_decode import decode_qr_image  # zxing + PIL: only when used

        try:
            self.code.setPlainText(decode_qr_image(path))
            self.message.setText("Code read from the image.")
        except InvalidRecord as exc:
            self.message.setText(exc.message)

    def _pick_image(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Picture of the enrolment QR code", "", "Images (*.png *.jpg *.jpeg *.bmp)"
        )
        if name:
            self.load_image(Path(name))

    def enrol(self) -> None:
        code = self.code.toPlainText().strip()
        if not code:
            self.message.setText("Paste a code or load a QR image first.")
            return
        self.buttons.setEnabled(False)
        self.message.setText("Enrolling…")
        self.ctx.ops.store(lambda store: sync_api.enrol(store, code)).success(self._done).failure(
            self._failed
        ).run()

    def _done(self, outcome: tuple[object, object]) -> None:
        self.buttons.setEnabled(True)
        self.enrolled.emit(outcome[0])
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        info = explain(error)
        self.message.setText(f"{info.title}: {info.message} {info.action}")
