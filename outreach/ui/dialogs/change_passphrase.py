"""Change a user's passphrase: only that user's key slot is rewritten."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QWidget

from outreach.store.session import change_passphrase
from outreach.ui.context import AppContext
from outreach.ui.dialogs.passphrase_dialog import PassphraseDialog
from outreach.ui.widgets.passphrase import NewPassphrase, secret_field


class ChangePassphraseDialog(PassphraseDialog):
    def __init__(self, ctx: AppContext, user: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.user = user
        self.setWindowTitle(f"Change the passphrase of {user}")
        self.old = secret_field("Current passphrase")
        self.new = NewPassphrase()
        self.new.set_user(user)
        form = QFormLayout(self)
        form.addRow("&Current passphrase", self.old)
        form.addRow(self.new)
        self.finish_form(form)

    def _go(self) -> None:
        new = self.new.value()
        if new is None:
            self.message.setText(self.new.problem())
            return
        args = (self.ctx.data_dir, self.user, self.old.text(), new, self.ctx.kdf)
        self.old.clear()
        self.buttons.setEnabled(False)
        self.ctx.ops.network(lambda: change_passphrase(*args)).success(
            lambda _: self.accept()
        ).failure(self._failed).run()
