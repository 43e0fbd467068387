"""First run: role, user, defaults, passphrase, the recovery key shown once, then enrolment with
the service's hub (optional), before the first record: client codes made after it match the
service's, so nobody's earlier records end up under a code the service does not know."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from outreach.domain import user_names
from outreach.errors import InvalidRecord, InvalidUserName
from outreach.store.session import create_store
from outreach.ui.context import AppContext
from outreach.ui.dialogs.add_user import role_combo
from outreach.ui.messages import explain
from outreach.ui.widgets.centred import lay_out_centred
from outreach.ui.widgets.passphrase import NewPassphrase

if TYPE_CHECKING:
    from PySide6.QtGui import QKeyEvent

    from outreach.store.store import Store

log = logging.getLogger(__name__)


class SetupScreen(QWidget):
    finished = Signal(str, str)  # user, role

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.steps = QStackedWidget()
        self._recovery = ""
        self._user = self._role = ""
        self.steps.addWidget(self._about_step())
        self.steps.addWidget(self._passphrase_step())
        self.steps.addWidget(self._recovery_step())
        self.steps.addWidget(self._enrol_step())
        box = QWidget()
        box.setMaximumWidth(640)
        inner = QVBoxLayout(box)
        inner.addWidget(QLabel("<h2>Set up Outreach on this device</h2>"))
        inner.addWidget(self.steps)
        lay_out_centred(self, box)

    # -- step 1: who and where -----------------------------------------------------------------

    def _about_step(self) -> QWidget:
        page = QWidget()
        self.role = role_combo()
        self.user = QLineEdit()
        self.user.setAccessibleName("User name")
        self.user.setPlaceholderText("e.g. alice (letters, digits, . _ -)")
        self.site = QComboBox()
        self.site.setAccessibleName("Usual site")
        for code in self.ctx.vocab.codes("site"):
            self.site.addItem(self.ctx.vocab.label("site", code), code)
        self.area = QLineEdit()
        self.area.setAccessibleName("Usual area (postcode district)")
        self.area.setPlaceholderText("e.g. LS6 or NFA")
        self.about_message = QLabel()
        self.about_message.setWordWrap(True)
        self.next_button = QPushButton("&Next")
        form = QFormLayout(page)
        form.addRow("&Role", self.role)
        form.addRow("&User name", self.user)
        form.addRow("Usual &site", self.site)
        form.addRow("Usual &area", self.area)
        form.addRow(self.about_message)
        form.addRow("", self.next_button)
        self.next_button.clicked.connect(self._about_done)
        self.user.returnPressed.connect(self._about_done)
        self.area.returnPressed.connect(self._about_done)  # Enter moves the wizard on
        return page

    def _about_done(self) -> None:
        from outreach.records.validation import check_area, normalise_area  # not for first paint

        area = normalise_area(self.area.text()) if self.area.text().strip() else ""
        if not self.user.text().strip():
            self.about_message.setText("Type a user name.")
            return
        try:
            name = user_names.check_new(self.user.text(), ())
        except InvalidUserName as exc:
            self.about_message.setText(f"{str(exc)[0].upper()}{str(exc)[1:]}.")
            return
        try:
            if area:
                check_area(area)
        except InvalidRecord as exc:
            self.about_message.setText(str(exc))
            return
        self.new.set_user(name)
        self.about_message.clear()
        self.steps.setCurrentIndex(1)
        self.new.first.setFocus()

    # -- step 2: passphrase --------------------------------------------------------------------

    def _passphrase_step(self) -> QWidget:
        page = QWidget()
        self.new = NewPassphrase()
        self.create_button = QPushButton("&Create the encrypted store")
        self.create_message = QLabel()
        self.create_message.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(
            QLabel("Choose a passphrase: a short sentence is easiest. It unlocks this device.")
        )
        layout.addWidget(self.new)
        layout.addWidget(self.create_message)
        layout.addWidget(self.create_button)
        self.create_button.clicked.connect(self._create)
        self.new.second.returnPressed.connect(self._create)
        self.new.first.returnPressed.connect(self.new.second.setFocus)
        return page

    def _create(self) -> None:
        passphrase = self.new.value()
        if passphrase is None:
            self.create_message.setText(self.new.problem())
            return
        user, role = self.user.text().strip(), str(self.role.currentData())
        args = (self.ctx.data_dir, user, role, passphrase, self.ctx.kdf)
        self.new.clear()
        self.create_button.setEnabled(False)
        self.create_message.setText("Creating the encrypted store…")
        self.ctx.ops.open_store(lambda: create_store(*args)).success(self._created).failure(
            self._failed
        ).with_progress("Creating the encrypted store", cancellable=False).run()

    def _created(self, result: tuple[Store, str]) -> None:
        from outreach.records.validation import normalise_area

        store, recovery = result
        self._user, self._role, self._recovery = store.user, store.role, recovery
        site = self.site.currentData()
        area = normalise_area(self.area.text()) if self.area.text().strip() else None
        self.ctx.remember(default_site=site, default_area=area, last_user=store.user)
        from outreach.ui.widgets.qr import qr_pixmap

        selectable = QtCore.Qt.TextInteractionFlag.TextSelectableByMouse  # not at first paint
        self.recovery_text.setTextInteractionFlags(selectable)
        self.recovery_text.setText(recovery)
        self.recovery_qr.setPixmap(qr_pixmap(recovery))
        self.steps.setCurrentIndex(2)
        self.saved.setFocus()
        log.info("set-up created a store")

    def _failed(self, error: BaseException) -> None:
        self.create_button.setEnabled(True)
        info = explain(error)
        self.create_message.setText(f"{info.title}: {info.message}")

    # -- step 3: recovery key, shown once ------------------------------------------------------

    def _recovery_step(self) -> QWidget:
        page = QWidget()
        self.recovery_text = QLabel()
        self.recovery_text.setAccessibleName("Recovery key")
        self.recovery_text.setStyleSheet("font-family: monospace; font-size: 16pt;")
        self.recovery_qr = QLabel()
        self.recovery_qr.setAccessibleName("Recovery key QR code")
        self.pdf_button = QPushButton("Save as &PDF…")
        self.saved = QCheckBox("I have &saved or written down the recovery key")
        self.next_to_enrol = QPushButton("&Next")
        self.next_to_enrol.setEnabled(False)
        self.saved.toggled.connect(self.next_to_enrol.setEnabled)
        self.pdf_button.clicked.connect(self._save_pdf)
        self.next_to_enrol.clicked.connect(self._recovery_done)
        explanation = QLabel(
            "<b>Recovery key — shown only now.</b> It opens this device if every "
            "passphrase is forgotten. Keep it apart from the device."
        )
        explanation.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(explanation)
        layout.addWidget(self.recovery_text)
        row = QHBoxLayout()
        row.addWidget(self.recovery_qr)
        row.addWidget(self.pdf_button)
        layout.addLayout(row)
        layout.addWidget(self.saved)
        layout.addWidget(self.next_to_enrol)
        return page

    def _recovery_done(self) -> None:
        """The key is saved: forget it, then offer enrolment (if this build can sync)."""
        self._recovery = ""  # shown once: forget it
        self.recovery_text.clear()
        self.recovery_qr.clear()
        from outreach.ui import sync_api

        if not sync_api.available():
            self._finish()
            return
        self.steps.setCurrentIndex(3)
        self.enrol_form.code.setFocus()

    # -- step 4: enrol with the service's hub, before the first record -------------------------

    def _enrol_step(self) -> QWidget:
        from outreach.ui.dialogs.enrol_dialog import EnrolForm

        page = QWidget()
        explanation = QLabel(
            "<b>Connect this device to your service (recommended).</b> Enrol now, before the "
            "first record, so that client codes match the rest of the service. Paste the "
            "enrolment code from your coordinator, or load a picture of its QR code. No code "
            "yet? Start now and enrol later on the Sync page: client codes recorded before then "
            "will not match the service's."
        )
        explanation.setWordWrap(True)
        self.enrol_form = EnrolForm(self.ctx)
        self.enrol_button = QPushButton("&Enrol")
        self.finish_button = QPushButton("&Start using Outreach")
        self.enrol_button.clicked.connect(self.enrol_form.enrol)
        self.enrol_form.busy.connect(lambda busy: self.enrol_button.setEnabled(not busy))
        self.enrol_form.enrolled.connect(self._enrolled)
        self.finish_button.clicked.connect(self._finish)
        row = QHBoxLayout()
        row.addWidget(self.enrol_button)
        row.addStretch()
        row.addWidget(self.finish_button)
        layout = QVBoxLayout(page)
        layout.addWidget(explanation)
        layout.addWidget(self.enrol_form)
        layout.addLayout(row)
        layout.addStretch()
        return page

    def _enrolled(self, _info: object) -> None:
        from outreach.store.vocabulary import current_vocabulary

        def lists(vocab: object) -> None:
            self.ctx.vocab = vocab  # type: ignore[assignment]  # the hub's additions too

        self.ctx.ops.store(current_vocabulary).success(lists).run()
        self.enrol_button.setEnabled(False)
        self.enrol_form.code.setReadOnly(True)
        self.finish_button.setFocus()

    def save_pdf_to(self, path: Path) -> None:
        from outreach.reports.recovery_card import write_recovery_card

        write_recovery_card(path, self._recovery, user=self._user)

    def _save_pdf(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the recovery card", "outreach-recovery-key.pdf", "PDF (*.pdf)"
        )
        if name:
            try:
                self.save_pdf_to(Path(name))
            except OSError as exc:
                self.ctx.ops.report_error(exc)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        """Enter on the recovery step (the key saved) moves on to enrolment, and on a focused
        button presses it; the fields before move the wizard on themselves (returnPressed)."""
        enter = event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter)
        if enter and self.steps.currentIndex() == 2 and self.saved.isChecked():
            self._recovery_done()
            return
        focused = self.focusWidget()
        if enter and isinstance(focused, QPushButton) and focused.isEnabled():
            focused.click()  # Enter presses the focused button, as on the workspace's pages
            return
        super().keyPressEvent(event)

    def _finish(self) -> None:
        self.finished.emit(self._user, self._role)
