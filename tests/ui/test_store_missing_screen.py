"""The desktop app refuses a missing, empty or damaged store with a clear message."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from outreach.store.session import STORE_FILE
from outreach.ui.main_window import MainWindow
from outreach.ui.screens.unlock import UnlockScreen


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
    assert "missing or damaged" in text and "backup" in text
    assert not screen.unlock_button.isEnabled() and not screen.passphrase.isEnabled()
    assert db.stat().st_size == 0
    assert not (existing_store / (STORE_FILE + "-wal")).exists()
