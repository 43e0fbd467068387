"""The passphrase dialogs on the unlock screen: add a user, change a passphrase, recover."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from outreach.errors import WrongPassphrase
from outreach.store.session import create_store, load_vault, unlock_store
from outreach.ui.dialogs.add_user import AddUserDialog
from outreach.ui.dialogs.change_passphrase import ChangePassphraseDialog
from outreach.ui.dialogs.recover import RecoverDialog
from outreach.ui.main_window import MainWindow
from tests.samples import FAST_KDF, PASSPHRASE

NEW = "a completely new passphrase 42"


def fill_new(qtbot: QtBot, dialog: AddUserDialog | ChangePassphraseDialog | RecoverDialog) -> None:
    qtbot.keyClicks(dialog.new.first, NEW)
    qtbot.keyClicks(dialog.new.second, NEW)


def test_change_passphrase_dialog(
    qtbot: QtBot, make_window: type[MainWindow], existing_store: Path
) -> None:
    """A wrong current passphrase is shown and can be corrected; then only the new one opens."""
    window = make_window()
    dialog = ChangePassphraseDialog(window.ctx, "alice", window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.old, "not my passphrase")
    fill_new(qtbot, dialog)
    dialog._go()
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() and dialog.message.text() != "")
    assert "passphrase" in dialog.message.text().lower()
    qtbot.keyClicks(dialog.old, PASSPHRASE)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog._go()
    unlock_store(existing_store, "alice", NEW).close()


def test_add_user_dialog(qtbot: QtBot, make_window: type[MainWindow], existing_store: Path) -> None:
    """An existing user vouches for a new one, who can then unlock with their own passphrase."""
    window = make_window()
    dialog = AddUserDialog(window.ctx, "alice", window)
    qtbot.addWidget(dialog)
    dialog._go()
    assert "user name" in dialog.message.text()
    qtbot.keyClicks(dialog.admin_passphrase, PASSPHRASE)
    qtbot.keyClicks(dialog.name, "bob")
    dialog.role.setCurrentIndex(dialog.role.findData("worker"))
    fill_new(qtbot, dialog)
    with qtbot.waitSignal(dialog.done_adding, timeout=10_000):
        dialog._go()
    assert ("bob", "worker") in load_vault(existing_store).users()
    unlock_store(existing_store, "bob", NEW).close()


def test_recover_dialog(qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path) -> None:
    """The recovery key opens the store and sets a new passphrase; a wrong key is explained."""
    store, recovery = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    window = make_window()
    dialog = RecoverDialog(window.ctx, "alice", window)
    qtbot.addWidget(dialog)
    opened = []
    dialog.open_for(opened.append)
    qtbot.keyClicks(dialog.key, "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
    fill_new(qtbot, dialog)
    dialog._go()
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled() and dialog.message.text() != "")
    dialog.key.clear()
    qtbot.keyClicks(dialog.key, recovery)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog._go()
    qtbot.waitUntil(lambda: bool(opened))
    window.ops.close_store()
    unlock_store(ui_data_dir, "alice", NEW).close()
    with pytest.raises(WrongPassphrase):
        unlock_store(ui_data_dir, "alice", PASSPHRASE)
