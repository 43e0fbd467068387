"""Automatic sync: once the hub answers, waiting records go without anyone pressing Sync now."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from outreach.store.session import create_store
from outreach.sync.enrolment import enrol, pending_count
from outreach.ui.main_window import MainWindow
from tests.hub.harness import make_hub, serve_in_thread
from tests.samples import CONTACT, FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock


def test_waiting_records_sync_when_the_hub_answers(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    """An enrolled device with records waiting syncs in the background; offline it says so."""
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
        enrol(store, hub.new_enrolment(url).text())
        store.add_new(CONTACT)
        store.add_new(CONTACT)
        store.close()
        window = make_window()
        unlock(qtbot, window)
        status = window.status
        status.try_auto_sync()
        qtbot.waitUntil(lambda: "sent 2" in status.connection.text(), timeout=15_000)
        assert hub.record_total() == 2
        check = window.ops.store(pending_count).run()
        qtbot.waitUntil(check.done, timeout=5_000)
        assert check.result() == 0
        window.ops.store(lambda s: s.add_new(CONTACT)).run().result(timeout=5)
    status.try_auto_sync()  # the hub has gone away
    qtbot.waitUntil(lambda: "Offline" in status.connection.text(), timeout=15_000)
    hub.engine.dispose()
