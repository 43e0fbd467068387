"""The desktop app refuses a missing, empty or damaged store with a clear message."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from outreach.store.session import STORE_FILE, unlock_store
from outreach.ui.dialogs.error_dialog import ErrorDialog
from outreach.ui.main_window import MainWindow
from outreach.ui.screens.unlock import UnlockScreen
from tests.samples import PASSPHRASE
from tests.store.test_corruption import damage_table
from tests.ui.conftest import unlock


def test_empty_store_file_shows_a_clear_screen_and_makes_nothing(
    make_window: type[MainWindow], existing_store: Path, qtbot: QtBot
) -> None:
    """A 0-byte store beside key slots: the unlock screen says so and offers no unlock."""
    db = existing_store / STORE_FILE
    db.write_bytes(b"")
    window = make_window()
    screen = window.stack.currentWidget()
    assert isinstance(screen, UnlockScreen)
    text = screen.message.text()
    assert "missing or damaged" in text and "Restore the store from a backup" in text
    assert not screen.unlock_button.isEnabled() and not screen.passphrase.isEnabled()
    assert db.stat().st_size == 0
    assert not (existing_store / (STORE_FILE + "-wal")).exists()


def test_damaged_pages_show_the_clear_message_not_something_went_wrong(
    make_window: type[MainWindow], existing_store: Path, qtbot: QtBot
) -> None:
    """Queries on damaged pages (the pages' own and a direct one) show "The store is damaged"."""
    damage_table(unlock_store(existing_store, "alice", PASSPHRASE), existing_store, "*")
    window = make_window()
    unlock(qtbot, window)
    window.ops.store(lambda store: store.conn.execute("SELECT * FROM fact_data").fetchall()).run()

    def dialogs() -> list[str]:
        return [d.windowTitle() for d in window.findChildren(ErrorDialog) if d.isVisible()]

    qtbot.waitUntil(lambda: len(dialogs()) >= 1, timeout=10_000)
    qtbot.wait(300)  # let the pages' own failed queries report too
    titles = dialogs()
    assert titles and set(titles) == {"The store is damaged"}, titles
    for dialog in window.findChildren(ErrorDialog):
        dialog.close()
