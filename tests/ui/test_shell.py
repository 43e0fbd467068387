"""The window shell: set-up, lock, unlock, errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from outreach.errors import SyncError, SyncErrorKind, WrongPassphrase
from outreach.store.session import load_vault
from outreach.ui.dialogs.error_dialog import ErrorDialog
from outreach.ui.screens.setup import SetupScreen
from outreach.ui.screens.unlock import UnlockScreen
from tests.ui.conftest import PASSPHRASE, unlock


def test_setup_creates_store_and_shows_recovery_key_once(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    """The wizard creates the store, shows the recovery key with a PDF card, then forgets it."""
    window = make_window()
    setup = window.stack.currentWidget()
    assert isinstance(setup, SetupScreen)
    qtbot.keyClicks(setup.user, "alice")
    qtbot.keyClicks(setup.area, "ls6")
    qtbot.mouseClick(setup.next_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(setup.new.first, "short")
    assert setup.new.value() is None
    setup.new.first.clear()
    qtbot.keyClicks(setup.new.first, PASSPHRASE)
    qtbot.keyClicks(setup.new.second, PASSPHRASE)
    with qtbot.waitSignal(window.ops.store_state, timeout=20_000):
        qtbot.mouseClick(setup.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: setup.steps.currentIndex() == 2)
    key = setup.recovery_text.text()
    assert len(key) > 20
    page = setup.steps.currentWidget()
    cut = [
        label.text()
        for label in page.findChildren(QLabel)
        if label.isVisible() and label.width() < label.minimumSizeHint().width()
    ]
    assert not cut, cut  # every word of what to do with the key can be read
    setup.save_pdf_to(tmp_path / "card.pdf")
    assert (tmp_path / "card.pdf").read_bytes().startswith(b"%PDF")
    assert not setup.next_to_enrol.isEnabled()
    setup.saved.setChecked(True)
    qtbot.mouseClick(setup.next_to_enrol, Qt.MouseButton.LeftButton)
    assert setup.recovery_text.text() == ""  # shown once: forgotten
    with qtbot.waitSignal(window.unlocked):
        qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    assert load_vault(window.ctx.data_dir).users() == [("alice", "worker")]
    assert window.ctx.settings.default_area == "LS6"


def test_lock_with_ctrl_l_then_unlock(unlocked, qtbot: QtBot) -> None:
    """Ctrl+L closes the store and clears the workspace; the passphrase unlocks again."""
    window = unlocked
    assert window.workspace is not None
    with qtbot.waitSignal(window.locked):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.workspace is None
    assert isinstance(window.stack.currentWidget(), UnlockScreen)
    unlock(qtbot, window)
    assert window.workspace is not None


def test_wrong_passphrase_says_so(make_window, existing_store, qtbot: QtBot) -> None:
    """A wrong passphrase leaves the window locked with a clear message, not a traceback."""
    window = make_window()
    screen = window.stack.currentWidget()
    qtbot.keyClicks(screen.passphrase, "not the passphrase at all")
    with qtbot.waitSignal(window.ops.finished, timeout=10_000):
        qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    assert "Wrong passphrase" in screen.message.text()
    assert window.workspace is None


def test_idle_locks(unlocked, qtbot: QtBot) -> None:
    """After the idle time the window locks by itself."""
    window = unlocked
    window.idle.set_minutes(0.001)
    window.idle.start()
    with qtbot.waitSignal(window.locked, timeout=5_000):
        pass
    assert window.workspace is None


def test_input_keeps_an_unlocked_window_open(unlocked, qtbot: QtBot) -> None:
    """Key presses restart the idle timer; only once they stop does the window lock."""
    window = unlocked
    window.idle.set_minutes(0.01)  # 600 ms
    window.idle.start()
    qtbot.wait(10)  # watching starts on the next turn of the event loop
    for _ in range(24):  # 1.2 s of typing, a key every 50 ms, through the window as a person's
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Shift)
        qtbot.wait(50)
    assert window.workspace is not None
    with qtbot.waitSignal(window.locked, timeout=5_000):
        pass


def test_idle_watching_only_while_unlocked(make_window, existing_store, qtbot: QtBot) -> None:
    """Input on the unlock screen starts no timer; the watcher runs from unlock to lock."""
    window = make_window()
    qtbot.keyClicks(window.stack.currentWidget().passphrase, "typing")
    assert not window.idle.active
    unlock_screen = window.stack.currentWidget()
    unlock_screen.passphrase.clear()
    unlock(qtbot, window)
    assert window.idle.active
    with qtbot.waitSignal(window.locked):
        window.lock()
    assert not window.idle.active


def test_error_dialog_maps_kinds_and_copies(qtbot: QtBot) -> None:
    """The presenter names the action for a sync error kind and copies details to the clipboard."""
    dialog = ErrorDialog(SyncError("boom", kind=SyncErrorKind.REVOKED))
    qtbot.addWidget(dialog)
    assert "revoked" in dialog.windowTitle().lower()
    dialog.copy_details()
    from PySide6.QtGui import QGuiApplication

    assert "SyncError" in QGuiApplication.clipboard().text()
    other = ErrorDialog(WrongPassphrase("wrong passphrase"))
    qtbot.addWidget(other)
    assert other.windowTitle() == "Wrong passphrase"
