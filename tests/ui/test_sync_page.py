"""The Sync page tells the user when records from before enrolment carry unlinked client codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from outreach.domain.client_code import make_client_code
from outreach.store.session import create_store
from outreach.sync import reference
from outreach.sync.enrolment import enrol
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.sync_page import SyncPage
from tests.hub.harness import make_hub, serve_in_thread
from tests.samples import CONTACT, FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock


def test_codes_made_before_enrolment_are_reported(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
        local_key = reference.service_key(store)  # a standalone device makes its own
        code = make_client_code(local_key, "AB", dt.date(1980, 1, 2), "male")
        store.add_new({**CONTACT, "client_code": code})
        store.add_new(CONTACT)  # no code: nothing to link
        info = enrol(store, hub.new_enrolment(url).text())
        assert info.unlinked_client_codes == 1
        assert reference.service_key(store) != local_key  # the hub's key from now on
        store.close()
    window = make_window()
    unlock(qtbot, window)
    page: SyncPage = window.workspace.show_page("SyncPage")
    qtbot.waitUntil(lambda: "1 record(s) saved before enrolment" in page.state.text(), timeout=5000)
    hub.engine.dispose()


def test_batches_saved_to_a_folder_are_counted_and_import_on_the_hub(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    """ "Save batches to a folder" writes sealed batch files, says how many files and records,
    and the hub accepts those files as it would over HTTPS."""
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
        enrol(store, hub.new_enrolment(url).text())
        for _ in range(3):
            store.add_new(CONTACT)
        store.close()
    window = make_window()
    unlock(qtbot, window)
    page: SyncPage = window.workspace.show_page("SyncPage")
    qtbot.waitUntil(page.save_button.isEnabled, timeout=5000)
    usb = tmp_path / "usb"
    page.save_to(usb)
    qtbot.waitUntil(lambda: page.saved.text().startswith("Saved"), timeout=10_000)
    assert "1 batch file(s) holding 3 record(s)" in page.saved.text()
    files = sorted(usb.iterdir())
    assert len(files) == 1
    hub.ingest(files[0].read_bytes(), via="file")
    assert hub.record_total() == 3
    hub.engine.dispose()


def test_saving_batches_when_not_enrolled_is_not_offered(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    """A device without a hub has nothing to seal batches for: the button is disabled."""
    page: SyncPage = unlocked.workspace.show_page("SyncPage")
    qtbot.waitUntil(lambda: page.state.text().startswith("Not enrolled"), timeout=5000)
    assert not page.save_button.isEnabled()
