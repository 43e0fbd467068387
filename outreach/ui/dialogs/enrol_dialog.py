"""Enrol this device with the hub: paste the coordinator's code or load a picture of its QR.

`EnrolForm` is the code box, the QR button and the message; the set-up wizard shows it as a step
before the first record, the Sync page in `EnrolDialog`. If this laptop already holds records
whose client codes it made with its own key, the first press of Enrol only warns: those codes
will not match the ones the service's key gives the same people (they stay, marked "not linked"
in History); the second press enrols.
"""

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


def unlink_warning(count: int) -> str:
    return (
        f"This laptop already holds {count} record(s) with client codes made with its own key. "
        "After enrolling, the service's key makes the codes, so the same people get different "
        "codes and those records will not match them. They are kept, and marked “not linked” "
        "in History. Press Enrol anyway to go ahead."
    )


class EnrolForm(QWidget):
    enrolled = Signal(object)  # EnrolmentInfo
    busy = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.code = QPlainTextEdit()
        self.code.setAccessibleName("Enrolment code")
        self.code.setPlaceholderText("Paste the enrolment code from your coordinator")
        self.code.setTabChangesFocus(True)
        self.code.setMaximumHeight(self.code.fontMetrics().lineSpacing() * 5)
        self.load_button = QPushButton("&Load QR image…")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Enrolment message")
        self._warned_for: int | None = None  # the unlinked count the user was warned about
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.code)
        layout.addWidget(self.load_button)
        layout.addWidget(self.message)
        self.load_button.clicked.connect(self._pick_image)

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
        """Check for codes enrolling would unlink (warn once), then enrol."""
        code = self.code.toPlainText().strip()
        if not code:
            self.message.setText("Paste a code or load a QR image first.")
            return
        self.busy.emit(True)
        self.ctx.ops.store(sync_api.codes_to_unlink).success(
            lambda count: self._checked(code, int(count))
        ).failure(self._failed).run()

    @property
    def warned(self) -> bool:
        return self._warned_for is not None

    def _checked(self, code: str, unlinked: int) -> None:
        if unlinked and self._warned_for != unlinked:
            self._warned_for = unlinked
            self.message.setText(unlink_warning(unlinked))
            width = max(self.message.width(), self.width())
            self.message.setMinimumHeight(self.message.heightForWidth(width))  # every line shown
            self.busy.emit(False)
            return
        self.message.setText("Enrolling…")
        self.ctx.ops.store(lambda store: sync_api.enrol(store, code)).success(self._done).failure(
            self._failed
        ).run()

    def _done(self, outcome: tuple[object, object]) -> None:
        info = outcome[0]
        self.busy.emit(False)
        self.message.setText(f"Enrolled with {getattr(info, 'hub_url', 'the hub')}.")
        self.enrolled.emit(info)

    def _failed(self, error: BaseException) -> None:
        self.busy.emit(False)
        info = explain(error)
        self.message.setText(f"{info.title}: {info.message} {info.action}")


class EnrolDialog(QDialog):
    enrolled = Signal(object)  # EnrolmentInfo

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Enrol this device")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)  # a code line, a warning
        self.form = EnrolForm(ctx, self)
        self.code, self.message = self.form.code, self.form.message
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.enrol_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.enrol_button.setText("&Enrol")
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.enrol)
        self.buttons.rejected.connect(self.reject)
        self.form.busy.connect(self._busy)
        self.form.enrolled.connect(self._done)

    def load_image(self, path: Path) -> None:
        self.form.load_image(path)

    def enrol(self) -> None:
        self.form.enrol()

    def _busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        if not busy and self.form.warned:
            self.enrol_button.setText("&Enrol anyway")
            self.adjustSize()  # the warning is several lines: every word shown

    def _done(self, info: object) -> None:
        self.enrolled.emit(info)
        self.accept()
