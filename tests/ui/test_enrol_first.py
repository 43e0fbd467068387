"""Issue 12, item 5: enrol before client codes diverge. The set-up wizard offers enrolment (code
pasted or read from a QR picture) before the first record, by keys alone; enrolling a laptop
that already holds client codes made with its own key warns first, and History marks them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import qrcode
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from outreach.domain.client_code import make_client_code
from outreach.store.session import create_store, unlock_store
from outreach.sync import enrolment, reference
from outreach.ui.main_window import MainWindow
from outreach.ui.models.records_model import NOT_LINKED, NOT_LINKED_TIP
from outreach.ui.pages.history import HistoryPage
from outreach.ui.pages.sync_page import SyncPage
from outreach.ui.screens.setup import SetupScreen
from tests.hub.harness import make_hub, serve_in_thread
from tests.samples import CONTACT, FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock

ALT = Qt.KeyboardModifier.AltModifier


def through_recovery_by_keys(qtbot: QtBot, window: MainWindow) -> SetupScreen:
    setup = window.stack.currentWidget()
    assert isinstance(setup, SetupScreen)
    qtbot.keyClicks(setup.user, "alice")
    qtbot.keyClick(setup.user, Qt.Key.Key_Return)
    qtbot.keyClicks(setup.new.first, PASSPHRASE)
    qtbot.keyClick(setup.new.first, Qt.Key.Key_Return)
    qtbot.keyClicks(setup.new.second, PASSPHRASE)
    qtbot.keyClick(setup.new.second, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: setup.steps.currentIndex() == 2, timeout=20_000)
    qtbot.keyClick(setup.saved, Qt.Key.Key_Space)
    qtbot.keyClick(setup.saved, Qt.Key.Key_Return)
    assert setup.steps.currentIndex() == 3
    return setup


def test_the_wizard_enrols_from_a_pasted_code_by_keys_alone(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        window = make_window()
        setup = through_recovery_by_keys(qtbot, window)
        assert window.focusWidget() is setup.enrol_form.code  # ready to paste
        qtbot.keyClick(setup.enrol_form.code, Qt.Key.Key_E, ALT)  # nothing pasted yet
        qtbot.waitUntil(lambda: "Paste a code" in setup.enrol_form.message.text(), timeout=5000)
        setup.enrol_form.code.setPlainText(hub.new_enrolment(url).text())  # Ctrl+V
        qtbot.keyClick(setup.enrol_form.code, Qt.Key.Key_E, ALT)
        qtbot.waitUntil(lambda: "Enrolled with" in setup.enrol_form.message.text(), timeout=10_000)
        assert window.focusWidget() is setup.finish_button and not setup.enrol_button.isEnabled()
        with qtbot.waitSignal(window.unlocked):
            qtbot.keyClick(setup.finish_button, Qt.Key.Key_Return)
        page: SyncPage = window.workspace.show_page("SyncPage")
        qtbot.waitUntil(lambda: page.state.text().startswith("Enrolled."), timeout=5000)
        assert len(hub.list_devices()) == 1
    hub.engine.dispose()


def test_the_wizard_reads_the_code_from_a_qr_picture(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        text = hub.new_enrolment(url).text()
        picture = tmp_path / "code.png"
        qrcode.make(text).save(str(picture))
        window = make_window()
        setup = through_recovery_by_keys(qtbot, window)
        setup.enrol_form.load_image(picture)
        assert setup.enrol_form.code.toPlainText() == text
        setup.enrol_form.load_image(tmp_path / "missing.png")
        assert "cannot read that image" in setup.enrol_form.message.text()
        qtbot.mouseClick(setup.enrol_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Enrolled with" in setup.enrol_form.message.text(), timeout=10_000)
    hub.engine.dispose()


def test_the_enrol_step_fits_and_reads_whole_at_1366x768(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path
) -> None:
    window = make_window()
    window.resize(1366, 768)
    setup = through_recovery_by_keys(qtbot, window)
    page = setup.steps.currentWidget()
    cut = [
        label.text()
        for label in page.findChildren(QLabel)
        if label.isVisible() and label.width() < label.minimumSizeHint().width()
    ]
    assert not cut, cut
    for widget in (setup.enrol_form.code, setup.enrol_button, setup.finish_button):
        assert widget.isVisible() and widget.height() > 0
        corner = widget.mapTo(window, widget.rect().bottomRight())
        assert corner.y() <= window.height() and corner.x() <= window.width()
    assert setup.enrol_form.code.accessibleName() == "Enrolment code"
    assert setup.enrol_button.text() == "&Enrol" and setup.finish_button.text().startswith("&S")


def test_enrolling_over_local_codes_warns_then_history_marks_them(
    qtbot: QtBot, make_window: type[MainWindow], ui_data_dir: Path, tmp_path: Path
) -> None:
    hub = make_hub(tmp_path / "hub")
    with serve_in_thread(hub) as url:
        store, _ = create_store(ui_data_dir, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
        local_key = reference.service_key(store)  # standalone: the laptop's own key
        old_code = make_client_code(local_key, "AB", dt.date(1980, 1, 2), "male")
        store.add_new({**CONTACT, "client_code": old_code})
        store.add_new(CONTACT)  # no code: nothing to unlink
        assert enrolment.codes_to_unlink(store) == 1
        store.close()
        window = make_window()
        unlock(qtbot, window)
        page: SyncPage = window.workspace.show_page("SyncPage")
        dialog = page.open_enrol()
        dialog.code.setPlainText(hub.new_enrolment(url).text())
        qtbot.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "already holds 1 record(s)" in dialog.message.text(), timeout=5000)
        assert "will not match" in dialog.message.text() and hub.list_devices() == []
        assert dialog.enrol_button.text() == "&Enrol anyway"
        qtbot.waitUntil(  # every line of the warning shown, none cut off
            lambda: dialog.message.height() >= dialog.message.heightForWidth(dialog.message.width())
        )
        with qtbot.waitSignal(dialog.enrolled, timeout=10_000):
            qtbot.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
        assert len(hub.list_devices()) == 1
    hub.engine.dispose()

    history: HistoryPage = window.workspace.show_page("HistoryPage")
    qtbot.waitUntil(lambda: history.model.rowCount() == 2, timeout=5000)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):  # a code made with the hub's key
        window.ops.store(lambda s: s.add_new({**CONTACT, "client_code": new_code(s)})).run()
    qtbot.waitUntil(lambda: history.model.rowCount() == 3, timeout=5000)
    codes = [history.model.index(row, 3).data() for row in range(3)]
    assert codes[0] and NOT_LINKED not in codes[0]  # newest: the service's key
    assert codes[1] == ""  # no client code
    assert codes[2].endswith(f"({NOT_LINKED})")
    assert history.model.index(2, 3).data(Qt.ItemDataRole.ToolTipRole) == NOT_LINKED_TIP
    assert "1 marked “not linked”" in history.message.text()


def new_code(store: object) -> str:
    from outreach.store.store import Store

    assert isinstance(store, Store)
    return make_client_code(reference.service_key(store), "CD", dt.date(1990, 3, 4), "female")


def test_nothing_to_unlink_without_a_local_key_or_once_enrolled(tmp_path: Path) -> None:
    store, _ = create_store(tmp_path / "d", "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    store.add_new(CONTACT)
    assert enrolment.codes_to_unlink(store) == 0 and enrolment.local_codes_through(store) == 0
    store.close()
    assert unlock_store(tmp_path / "d", "alice", PASSPHRASE).record_count() == 1
