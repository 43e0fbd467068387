"""UI test fixtures: a window on a fresh data dir with a cheap KDF; no test may leave threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from outreach.store.session import create_store
from outreach.ui.main_window import MainWindow
from tests.samples import FAST_KDF, PASSPHRASE


@pytest.fixture(autouse=True)
def _no_dangling_threads() -> Iterator[None]:
    """Fail a test that leaves worker threads running (napari's `_dangling_qthreads`)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not left, f"test left threads running: {[t.name for t in left]}"


@pytest.fixture
def ui_data_dir(active_data_dir: Path) -> Path:
    return active_data_dir


@pytest.fixture
def make_window(qtbot: QtBot, ui_data_dir: Path) -> Iterator[type[MainWindow]]:
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(ui_data_dir, kdf=FAST_KDF)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make  # type: ignore[misc]
    for window in windows:
        window.close()
        window.ops.shutdown()


@pytest.fixture
def existing_store(ui_data_dir: Path) -> Path:
    """A store made beforehand for user alice (worker); closed before the window opens."""
    store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    return ui_data_dir


def unlock(qtbot: QtBot, window: MainWindow, passphrase: str = PASSPHRASE) -> None:
    from outreach.ui.screens.unlock import UnlockScreen

    screen = window.stack.currentWidget()
    assert isinstance(screen, UnlockScreen)
    qtbot.keyClicks(screen.passphrase, passphrase)
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        qtbot.keyClick(screen.passphrase, "\r")


@pytest.fixture
def unlocked(make_window: type[MainWindow], existing_store: Path, qtbot: QtBot) -> MainWindow:
    window = make_window()
    unlock(qtbot, window)
    return window
