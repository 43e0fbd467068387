"""Change a user's passphrase: only that user's key slot is rewritten."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from outreach.store.session import change_passphrase
from outreach.ui.context import AppContext
from outreach.ui.messages import explain
from outreach.ui.widgets.passphrase import NewPassphrase, secret_field


class ChangePassphraseDialog(QDialog):
    def __init__(self, ctx: AppContext, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user = user
        self.setWindowTitle(f"Change the passphrase of {user}")
        self.old = secret_field("Current passphrase")
        self.new = NewPassphrase()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout(self)
        form.addRow("&Current passphrase", self.old)
        form.addRow(self.new)
        form.addRow(self.message)
        form.addRow(self.buttons)
        self.buttons.rejected.connect(self.reject)
        self.buttons.accepted.connect(self._go)

    def _go(self) -> None:
        new = self.new.value()
        if new is None:
            self.message.setText("Type a good new passphrase twice.")
            return
        args = (self.ctx.data_dir, self.user, self.old.text(), new, self.ctx.kdf)
        self.old.clear()
        self.buttons.setEnabled(False)
        self.ctx.ops.network(lambda: change_passphrase(*args)).success(
            lambda _: self.accept()
        ).failure(self._failed).run()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        info = explain(error)
        self.message.setText(f"{info.title}: {info.message}")
