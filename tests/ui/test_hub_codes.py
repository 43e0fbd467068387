"""A code the hub added reaches the forms: offered as a chip after unlock, scored with its label
and saved (issue 12, item 6, on the desktop)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from outreach.store.session import create_store, unlock_store
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.record_contact import RecordContactPage
from tests.hub.harness import make_hub, serve_in_thread
from tests.hub.test_reference_data import CHEMSEX
from tests.samples import FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock


def test_a_hub_added_risk_factor_is_offered_scored_and_saved(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
        enrol(store, hub.new_enrolment(url).text())
        hub.set_reference(CHEMSEX)
        sync_now(store)  # pulls the reference
        store.close()
    hub.engine.dispose()
    window = make_window()
    unlock(qtbot, window)
    page: RecordContactPage = window.workspace.show_page("RecordContactPage")
    chip = page.risk_factors.chip("chemsex")
    assert chip.text() == "Chemsex"
    chip.setChecked(True)
    page.risk_factors.chip("homeless").setChecked(True)
    assert page.current_risk is not None
    assert page.current_risk.level.value == "raised"
    assert "Chemsex (weight 1; added by your service)" in page.current_risk.reasons
    page.area.setText("LS6")
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        page.save()
    assert "Saved contact" in page.banner.label.text()
    window.lock()
    qtbot.waitUntil(lambda: window.workspace is None, timeout=5000)
    store = unlock_store(ui_data_dir, "alice", PASSPHRASE)
    try:
        today = dt.date.today()
        rows = store.counts(["risk_factors"], today, today, "contact")
        assert {row["risk_factors"]: row["count"] for row in rows}["chemsex"] == 1
    finally:
        store.close()
