"""Unlock: choose the user, type the passphrase. Also recovery, add user, change passphrase."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from outreach.errors import OutreachError, StoreCorrupt, StoreMissing, WrongPassphrase
from outreach.store.session import check_store_file, load_vault, unlock_store
from outreach.ui.context import AppContext
from outreach.ui.messages import explain
from outreach.ui.widgets.centred import lay_out_centred
from outreach.ui.widgets.passphrase import secret_field

if TYPE_CHECKING:
    from outreach.domain.vocab import Vocabulary
    from outreach.store.store import Store

log = logging.getLogger(__name__)


class UnlockScreen(QWidget):
    unlocked = Signal(str, str)  # user, role

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user = QComboBox()
        self.user.setAccessibleName("User")
        self.passphrase = secret_field("Passphrase")
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.message = QLabel()
        self.message.setAccessibleName("Unlock message")
        self.message.setWordWrap(True)
        self.refused = False  # the store cannot be opened: the message says why and stays
        form = QFormLayout()
        form.addRow("&User", self.user)
        form.addRow("&Passphrase", self.passphrase)
        form.addRow("", self.unlock_button)
        form.addRow("", self.message)
        extra = QHBoxLayout()
        self.recover_button = QPushButton("&Forgot passphrase…")
        self.add_user_button = QPushButton("&Add user…")
        self.change_button = QPushButton("C&hange passphrase…")
        for button in (self.recover_button, self.add_user_button, self.change_button):
            extra.addWidget(button)
        box = QWidget()
        box.setMaximumWidth(560)
        inner = QVBoxLayout(box)
        inner.addWidget(QLabel("<h2>Unlock Outreach</h2>"))
        inner.addLayout(form)
        inner.addLayout(extra)
        lay_out_centred(self, box)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.passphrase.returnPressed.connect(self.try_unlock)
        self.recover_button.clicked.connect(self._recover)
        self.add_user_button.clicked.connect(self._add_user)
        self.change_button.clicked.connect(self._change)
        self.reload_users()

    def reload_users(self) -> None:
        self.user.clear()
        try:
            users = load_vault(self.ctx.data_dir).users()
        except OutreachError as exc:
            self.message.setText(explain(exc).message)
            return
        for name, role in users:
            self.user.addItem(f"{name} ({role})", (name, role))
        last = self.ctx.settings.last_user
        for index in range(self.user.count()):
            if self.user.itemData(index)[0] == last:
                self.user.setCurrentIndex(index)
        try:
            check_store_file(self.ctx.data_dir)
        except StoreMissing as exc:
            self._refuse(exc)

    def _refuse(self, error: StoreCorrupt) -> None:
        """The store cannot be opened at all: say so and what to do (the file and SQLite's words
        are in the log), and offer nothing that cannot help."""
        info = explain(error)
        self.refused = True
        log.warning("store refused: %s", error)
        self.message.setText(
            f"<p style='color:#a40000'><b>⚠ {html.escape(info.title)}.</b></p>"
            f"<p>{html.escape(info.action)}</p>"
        )
        for widget in (
            self.passphrase,
            self.unlock_button,
            self.recover_button,
            self.add_user_button,
            self.change_button,
        ):
            widget.setEnabled(False)

    def show_notice(self, text: str) -> None:
        """A note for whoever unlocks next (a kept draft); never over a refusal of the store."""
        if not self.refused:
            self.message.setText(text)

    def focus_passphrase(self) -> None:
        self.passphrase.setFocus()

    def selected(self) -> tuple[str, str]:
        data = self.user.currentData()
        return (data[0], data[1]) if data else ("", "")

    def try_unlock(self) -> None:
        user, _ = self.selected()
        passphrase = self.passphrase.text()
        self.passphrase.clear()
        if not user or not passphrase:
            self.message.setText("Choose a user and type the passphrase.")
            return
        self.unlock_button.setEnabled(False)
        self.message.setText("Unlocking…")
        data_dir = self.ctx.data_dir
        self.ctx.ops.open_store(
            lambda: _with_lists(unlock_store(data_dir, user, passphrase))
        ).success(self._opened).failure(self._failed).run()

    def _opened(self, opened: Store | tuple[Store, Vocabulary]) -> None:
        """`opened`: the store with its code lists (unlock), or the store alone (recovery: the
        shipped lists until the next unlock)."""
        if isinstance(opened, tuple):
            store, self.ctx.vocab = opened  # the forms offer the codes the hub added, too
        else:
            store = opened
        self.unlock_button.setEnabled(True)
        self.message.clear()
        self.unlocked.emit(store.user, store.role)

    def _failed(self, error: BaseException) -> None:
        self.unlock_button.setEnabled(True)
        if isinstance(error, StoreCorrupt):
            self._refuse(error)
        elif isinstance(error, OutreachError):
            info = explain(error)
            self.message.setText(f"{info.title}. {info.action}")
            if isinstance(error, WrongPassphrase):
                self.passphrase.setFocus()
        else:
            self.ctx.ops.report_error(error)

    def opened_with(self, store: Store) -> None:
        """Recovery opened the store: carry on as an unlock."""
        self._opened(store)

    def _recover(self) -> None:
        from outreach.ui.dialogs.recover import RecoverDialog

        RecoverDialog(self.ctx, self.selected()[0], self).open_for(self.opened_with)

    def _add_user(self) -> None:
        from outreach.ui.dialogs.add_user import AddUserDialog

        dialog = AddUserDialog(self.ctx, self.selected()[0], self)
        dialog.done_adding.connect(self.reload_users)
        dialog.open()

    def _change(self) -> None:
        from outreach.ui.dialogs.change_passphrase import ChangePassphraseDialog

        ChangePassphraseDialog(self.ctx, self.selected()[0], self).open()


def _with_lists(store: Store) -> tuple[Store, Vocabulary]:
    """On the store thread: the store and its code lists (shipped plus the hub's additions)."""
    from outreach.store.vocabulary import current_vocabulary  # not at first paint

    return store, current_vocabulary(store)
