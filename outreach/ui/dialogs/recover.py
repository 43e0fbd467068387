"""Forgotten passphrase: open with the recovery key and set a new passphrase."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from outreach.store.session import recover_store
from outreach.store.store import Store
from outreach.ui.context import AppContext
from outreach.ui.dialogs.passphrase_dialog import PassphraseDialog
from outreach.ui.widgets.passphrase import NewPassphrase


class RecoverDialog(PassphraseDialog):
    def __init__(self, ctx: AppContext, user: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.user = user
        self.setWindowTitle("Recover with the recovery key")
        self.key = QLineEdit()
        self.key.setAccessibleName("Recovery key")
        self.new = NewPassphrase()
        self.new.set_user(user)
        form = QFormLayout(self)
        form.addRow(QLabel(f"Set a new passphrase for <b>{user}</b>."))
        form.addRow("Recovery &key", self.key)
        form.addRow(self.new)
        self.finish_form(form)
        self._on_open: Callable[[Store], None] | None = None

    def open_for(self, on_open: Callable[[Store], None]) -> None:
        self._on_open = on_open
        self.open()

    def _go(self) -> None:
        passphrase = self.new.value()
        key = self.key.text().strip()
        if not key:
            self.message.setText("Type the recovery key.")
            return
        if passphrase is None:
            self.message.setText(self.new.problem())
            return
        args = (self.ctx.data_dir, key, self.user, passphrase, self.ctx.kdf)
        self.buttons.setEnabled(False)
        self.ctx.ops.open_store(lambda: recover_store(*args)).success(self._opened).failure(
            self._failed
        ).run()

    def _opened(self, store: Store) -> None:
        self.key.clear()
        self.new.clear()
        self.accept()
        if self._on_open is not None:
            self._on_open(store)
