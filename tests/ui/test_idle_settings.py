"""The idle timer uses the checked auto-lock setting: no crash at start, no instant re-lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from outreach import config, paths
from outreach.ui.main_window import MainWindow
from tests.ui.conftest import unlock


@pytest.mark.parametrize("minutes", [35_792, 0, -1])
def test_out_of_range_auto_lock_uses_the_default(
    make_window: type[MainWindow], existing_store: Path, qtbot: QtBot, minutes: int
) -> None:
    """A window started with auto_lock_minutes of 35,792, 0 or -1 unlocks and stays unlocked,
    its idle timer set to the default 5 minutes."""
    paths.settings_path().write_text(json.dumps({"auto_lock_minutes": minutes}))
    window = make_window()
    unlock(qtbot, window)
    qtbot.wait(200)
    assert window.workspace is not None and window.idle.active
    assert window.idle._timer.interval() == config.AUTO_LOCK_DEFAULT * 60_000
