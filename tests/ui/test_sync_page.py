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
