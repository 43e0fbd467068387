"""The set-up wizard and the passphrase dialogs apply the core's role, passphrase and name rules,
and say why they refuse (the same refusals as the CLI: tests/cli/test_policy_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from outreach.store import passphrases
from outreach.store.session import create_store, load_vault
from outreach.ui.dialogs.add_user import AddUserDialog
from outreach.ui.dialogs.change_passphrase import ChangePassphraseDialog
from outreach.ui.main_window import MainWindow
from outreach.ui.screens.setup import SetupScreen
from tests.samples import FAST_KDF, PASSPHRASE
from tests.store.test_user_names_and_passphrases import WEAK


def type_twice(
    qtbot: QtBot, dialog: AddUserDialog | ChangePassphraseDialog | SetupScreen, text: str
) -> None:
    qtbot.keyClicks(dialog.new.first, text)
    qtbot.keyClicks(dialog.new.second, text)


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("worker", ["worker"]),
        ("pharmacy", ["pharmacy"]),
        ("coordinator", ["worker", "pharmacy", "coordinator"]),
    ],
)
def test_add_user_offers_own_role_or_lower(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, role: str, offered: list[str]
) -> None:
    """The role list holds only the roles the vouching user may give."""
    create_store(ui_data_dir, "alice", role, PASSPHRASE, kdf=FAST_KDF)[0].close()
    window = make_window()
    dialog = AddUserDialog(window.ctx, "alice", window)
    qtbot.addWidget(dialog)
    assert [dialog.role.itemData(i) for i in range(dialog.role.count())] == offered


@pytest.mark.parametrize("weak", WEAK)
def test_add_user_refuses_a_weak_passphrase_with_feedback(
    qtbot: QtBot, make_window: type[MainWindow], existing_store: Path, weak: str
) -> None:
    """What the CLI refuses (`password123`, `aaaaaaaaaa`, …) is refused, with the core's reason."""
    window = make_window()
    dialog = AddUserDialog(window.ctx, "alice", window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.admin_passphrase, PASSPHRASE)
    qtbot.keyClicks(dialog.name, "bob")
    type_twice(qtbot, dialog, weak)
    dialog._go()
    assert "weak" in dialog.message.text().lower()
    assert passphrases.assess(weak, ["bob"]).feedback in dialog.message.text()
    qtbot.waitUntil(lambda: "weak" in dialog.new.hint.text().lower())  # the live meter agrees
    assert load_vault(existing_store).users() == [("alice", "worker")]


@pytest.mark.parametrize(("name", "why"), [("\u0430lice", "mixes letters"), ("ALICE", "looks")])
def test_add_user_refuses_look_alike_names(
    qtbot: QtBot, make_window: type[MainWindow], existing_store: Path, name: str, why: str
) -> None:
    """A mixed-script or look-alike name is refused in the dialog, before any unlock."""
    window = make_window()
    dialog = AddUserDialog(window.ctx, "alice", window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.admin_passphrase, PASSPHRASE)
    dialog.name.setText(name)  # QTest types ASCII only
    type_twice(qtbot, dialog, PASSPHRASE)
    dialog._go()
    assert why in dialog.message.text()
    assert dialog.buttons.isEnabled()
    assert load_vault(existing_store).users() == [("alice", "worker")]


def test_change_passphrase_refuses_the_users_own_name(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    """A passphrase made of the user's own name is refused for that user, as the store would."""
    create_store(ui_data_dir, "wojciechowska", "worker", PASSPHRASE, kdf=FAST_KDF)[0].close()
    window = make_window()
    dialog = ChangePassphraseDialog(window.ctx, "wojciechowska", window)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.old, PASSPHRASE)
    type_twice(qtbot, dialog, "wojciechowska7")
    dialog._go()
    assert "weak" in dialog.message.text().lower()
    assert dialog.buttons.isEnabled()


def test_setup_refuses_mixed_script_names_and_weak_passphrases(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    """The wizard stops on a mixed-script name, then on `password123`, saying why; a good
    passphrase for `jürgen` then makes the store."""
    window = make_window()
    setup = window.stack.currentWidget()
    assert isinstance(setup, SetupScreen)
    setup.user.setText("\u0430lice")  # QTest types ASCII only
    setup.next_button.click()
    assert "mixes letters" in setup.about_message.text()
    assert setup.steps.currentIndex() == 0
    setup.user.setText("jürgen")
    setup.next_button.click()
    assert setup.steps.currentIndex() == 1
    type_twice(qtbot, setup, "password123")
    setup.create_button.click()
    assert "common password" in setup.create_message.text()
    setup.new.clear()
    type_twice(qtbot, setup, PASSPHRASE)
    setup.create_button.click()
    qtbot.waitUntil(lambda: setup.steps.currentIndex() == 2, timeout=20_000)
    assert load_vault(ui_data_dir).users() == [("jürgen", "worker")]
