"""No UI freeze: the UI thread never opens or uses the store."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from outreach.store import connection
from outreach.store.store import Store
from outreach.ui.pages.record_contact import RecordContactPage
from tests.ui.conftest import unlock


def test_ui_thread_never_touches_the_store(
    make_window, existing_store, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening, saving and listing all happen on the store thread, never the UI thread."""
    seen: list[int] = []
    real_connect = connection.sqlcipher3.connect
    real_conn = Store.conn

    def connect(*args, **kwargs):
        seen.append(threading.get_ident())
        return real_connect(*args, **kwargs)

    def conn(self: Store):
        seen.append(threading.get_ident())
        return real_conn.fget(self)

    monkeypatch.setattr(connection.sqlcipher3, "connect", connect)
    monkeypatch.setattr(Store, "conn", property(conn))
    window = make_window()
    unlock(qtbot, window)
    page: RecordContactPage = window.workspace.show_page("RecordContactPage")
    qtbot.keyClicks(page.area, "NFA")
    qtbot.mouseClick(page.age_band.chip("25_34"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    window.workspace.show_page("HistoryPage")
    qtbot.waitUntil(lambda: window.workspace.page("HistoryPage").model.rowCount() == 1)
    assert seen, "the patch saw no store use at all"
    assert threading.main_thread().ident not in seen
    assert len(set(seen)) == 1  # one serial store thread
