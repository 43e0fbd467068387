"""Add a user: an existing user vouches with their passphrase (their key slot opens the key)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from outreach.domain import user_names
from outreach.domain.roles import ROLE_LABELS, ROLES
from outreach.errors import InvalidUserName
from outreach.records import permissions
from outreach.store.session import add_user, load_vault
from outreach.ui.context import AppContext
from outreach.ui.dialogs.passphrase_dialog import PassphraseDialog
from outreach.ui.widgets.passphrase import NewPassphrase, secret_field


def role_label(role: str) -> str:
    """'Outreach worker', 'Pharmacy user', 'Coordinator' (the core's labels, capitalised)."""
    label = ROLE_LABELS.get(role, role)
    return label[:1].upper() + label[1:]


def role_combo(roles: Sequence[str] = ROLES) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName("Role")
    for role in roles:
        combo.addItem(role_label(role), role)
    return combo


class AddUserDialog(PassphraseDialog):
    """Offers only the roles the vouching user may give (own role or lower); the store checks
    the same rule after their unlock, and the name and passphrase policy, whoever calls it."""

    done_adding = Signal()

    def __init__(self, ctx: AppContext, admin: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.admin = admin
        self.setWindowTitle("Add a user")
        self.existing = dict(load_vault(ctx.data_dir).users())
        self.admin_passphrase = secret_field(f"Passphrase of {admin}")
        self.name = QLineEdit()
        self.name.setAccessibleName("New user name")
        self.role = role_combo(permissions.addable_roles(self.existing.get(admin, "")))
        self.new = NewPassphrase()
        self.name.textChanged.connect(self.new.set_user)
        form = QFormLayout(self)
        form.addRow(f"Passphrase of &{admin}", self.admin_passphrase)
        form.addRow("New &user name", self.name)
        form.addRow("&Role", self.role)
        form.addRow(self.new)
        self.finish_form(form)

    def _go(self) -> None:
        passphrase = self.new.value()
        if not self.name.text().strip():
            self.message.setText("Type a user name.")
            return
        try:
            name = user_names.check_new(self.name.text(), list(self.existing))
        except InvalidUserName as exc:
            self.message.setText(f"{str(exc)[0].upper()}{str(exc)[1:]}.")
            return
        if passphrase is None:
            self.message.setText(self.new.problem())
            return
        args = (
            self.ctx.data_dir,
            self.admin,
            self.admin_passphrase.text(),
            name,
            str(self.role.currentData()),
            passphrase,
            self.ctx.kdf,
        )
        self.admin_passphrase.clear()
        self.buttons.setEnabled(False)
        self.ctx.ops.network(lambda: add_user(*args)).success(self._added).failure(
            self._failed
        ).run()

    def _added(self, _: object) -> None:
        self.new.clear()
        self.done_adding.emit()
        self.accept()
