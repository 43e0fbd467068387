"""The status bar tells the truth: enrolled state as stored, never "not synced" beside a time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from outreach.ui.main_window import MainWindow
from outreach.ui.pages.sync_page import SyncPage
from outreach.ui.sync_api import SyncStatusInfo
from outreach.ui.widgets.sync_status import connection_text, last_sync_text
from tests.hub.harness import make_hub, serve_in_thread
from tests.samples import CONTACT
from tests.ui.conftest import unlock


def test_connection_never_says_not_synced_beside_a_last_sync() -> None:
    """Every state with a last sync time gives a connection text that does not deny it."""
    last = dt.datetime(2026, 11, 12, 19, 41, tzinfo=dt.UTC)
    for outcome in (None, "Offline: records kept, will retry", "Hub reachable: sent 3"):
        for syncing in (False, True):
            info = SyncStatusInfo(True, True, 2, last)
            text = connection_text(info, outcome, syncing)
            assert "not synced" not in text.lower() and "not enrolled" not in text.lower()
    assert last_sync_text(SyncStatusInfo(True, True, 2, last)).startswith("Last sync 12 Nov 2026")
    assert connection_text(SyncStatusInfo(True, False, 2, None), None, False).startswith(
        "Not enrolled"
    )


def test_status_bar_follows_enrolment_and_sync(
    qtbot: QtBot, make_window: type[MainWindow], existing_store: Path, tmp_path: Path
) -> None:
    """After enrolling in the GUI the bar stops saying "Not enrolled"; after a sync it shows the
    time and says nothing about not having synced."""
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        window = make_window()
        unlock(qtbot, window)
        status = window.status
        assert status is not None
        qtbot.waitUntil(lambda: status.connection.text().startswith("Not enrolled"), timeout=5000)
        assert status.last.text() == "Never synced" and not status.sync_button.isEnabled()
        window.ops.store(lambda s: s.add_new(CONTACT)).run().result(timeout=5)
        page = window.workspace.show_page("SyncPage")
        assert isinstance(page, SyncPage)
        dialog = page.open_enrol()
        dialog.code.setPlainText(hub.new_enrolment(url).text())
        with qtbot.waitSignal(dialog.enrolled, timeout=10_000):
            dialog.enrol()
        qtbot.waitUntil(lambda: status.connection.text() == "Enrolled with the hub", timeout=5000)
        assert status.sync_button.isEnabled() and "1 waiting" in status.pending.text()
        qtbot.waitUntil(lambda: page.state.text().startswith("Enrolled."), timeout=5000)
        status.sync(background=True)
        qtbot.waitUntil(lambda: status.last.text().startswith("Last sync"), timeout=15_000)
        qtbot.waitUntil(lambda: "0 waiting" in status.pending.text(), timeout=5000)
        assert "sent 1" in status.connection.text()
        assert "not" not in status.connection.text().lower()
        # The Sync page heard of the sync from the status bar through the one changes signal.
        qtbot.waitUntil(lambda: "0 waiting" in page.state.text(), timeout=5000)
    hub.engine.dispose()


def test_a_sync_with_an_older_hub_says_so_beside_hub_reachable(
    qtbot: QtBot, make_window: type[MainWindow], existing_store: Path, tmp_path: Path
) -> None:
    """A hub without `/v1/summaries` (404 over real HTTP): the sync succeeds and the bar says
    the service's client history is not sent by this hub yet."""
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub, without=("/v1/summaries",)) as url:
        window = make_window()
        unlock(qtbot, window)
        status = window.status
        assert status is not None
        window.ops.store(lambda s: s.add_new(CONTACT)).run().result(timeout=5)
        page = window.workspace.show_page("SyncPage")
        assert isinstance(page, SyncPage)
        dialog = page.open_enrol()
        dialog.code.setPlainText(hub.new_enrolment(url).text())
        with qtbot.waitSignal(dialog.enrolled, timeout=10_000):
            dialog.enrol()
        qtbot.waitUntil(lambda: status.sync_button.isEnabled(), timeout=5000)
        status.sync(background=True)
        qtbot.waitUntil(lambda: status.last.text().startswith("Last sync"), timeout=15_000)
        text = status.connection.text()
        assert "sent 1. The hub is older" in text and "client history" in text
        window.resize(1366, 768)
        qtbot.wait(50)
        label = status.connection
        assert label.isVisible() and label.width() >= label.sizeHint().width()  # not clipped
        assert label.mapTo(window, label.rect().topRight()).x() <= window.width()
