"""Keyboard-only entry: chip groups, Enter, Ctrl+S from anywhere, and a whole contact + kit."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bench.keyboard_entry import BUDGET, SCAN, Keyboard, enter_contact_and_kit
from outreach import config
from outreach.records import Contact, KitIssue
from outreach.store.session import create_store
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.pages.stock_page import StockPage
from outreach.ui.screens.setup import SetupScreen
from outreach.ui.widgets.message_bar import Kind
from tests.samples import FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock


@pytest.fixture
def keyboard_window(make_window, existing_store: Path, qtbot: QtBot) -> MainWindow:
    """Alice's window, with the area remembered from an earlier contact (as in real use)."""
    config.update_settings(default_area="LS6")
    window = make_window()
    window.activateWindow()
    unlock(qtbot, window)
    return window


def records(window: MainWindow) -> list:
    got: list = []
    window.ops.store(lambda store: [s.record for s in store.recent(limit=50)]).success(
        got.append
    ).run()
    QApplication.processEvents()
    from bench.keyboard_entry import wait_until

    wait_until(lambda: bool(got))
    return got[0]


def test_contact_with_code_and_kit_by_keys_within_budget(keyboard_window, qtbot: QtBot) -> None:
    """Keys alone (sent to the focused widget) record a full contact and its kit, ≤ 25 presses."""
    window = keyboard_window
    keys = Keyboard()
    enter_contact_and_kit(window, keys)
    assert len(keys.presses) <= BUDGET, keys.presses
    saved = records(window)
    contact = next(r for r in saved if isinstance(r, Contact))
    kit = next(r for r in saved if isinstance(r, KitIssue))
    assert contact.client_code is not None and contact.area == "LS6"
    assert (contact.age_band, contact.gender, contact.in_treatment, contact.injecting) == (
        "35_44",
        "female",
        "no",
        "current",
    )
    assert contact.substances == ("heroin",) and contact.risk_factors == ("using_alone",)
    assert contact.interventions == ("harm_reduction_advice", "naloxone_supplied")
    assert kit.contact_id == contact.id and kit.client_code == contact.client_code
    assert (kit.batch, kit.serial, kit.expiry.isoformat()) == ("AB12", "SN0001", "2035-12-31")


def test_arrows_move_within_a_group_and_space_toggles(keyboard_window, qtbot: QtBot) -> None:
    """A group is one Tab stop; arrows move between its chips; Space toggles; Tab leaves it."""
    page: RecordContactPage = keyboard_window.workspace.stack.currentWidget()
    first = page.substances.first()
    first.setFocus()
    qtbot.keyClick(first, Qt.Key.Key_Right)
    second = page.substances.chip("illicit_methadone")
    assert QApplication.focusWidget() is second
    qtbot.keyClick(second, Qt.Key.Key_Down)  # three columns: down is three chips on
    assert QApplication.focusWidget() is page.substances.chip("cocaine")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert page.substances.selected() == ["cocaine"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert page.substances.selected() == []
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.risk_factors.first()
    qtbot.keyClick(
        QApplication.focusWidget(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier
    )
    assert QApplication.focusWidget() is page.substances.chip("cocaine")  # where it was left


def test_every_chip_reachable_from_the_keyboard(keyboard_window) -> None:
    """From a group's Tab stop, Right reaches each of its chips in turn."""
    page: RecordContactPage = keyboard_window.workspace.stack.currentWidget()
    for group in (page.age_band, page.risk_factors, page.interventions):
        group.entry().setFocus()
        seen = []
        for _ in group.buttons:
            seen.append(QApplication.focusWidget())
            QApplication.sendEvent  # noqa: B018 - keep the loop readable
            from PySide6.QtTest import QTest

            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
        assert seen == list(group.buttons.values())


def test_enter_moves_on_and_ctrl_s_saves_from_the_sidebar(keyboard_window, qtbot: QtBot) -> None:
    """Enter on a chip goes to the next group; Ctrl+S saves with the focus in the navigation."""
    window = keyboard_window
    page: RecordContactPage = window.workspace.stack.currentWidget()
    page.gender.entry().setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.in_treatment.entry()
    page.age_band.chip("25_34").setChecked(True)
    window.workspace.nav.setFocus()
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as saved:
        qtbot.keyClick(window.workspace.nav, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.args[0].touches("contact")


def test_stock_enter_receives(make_window, ui_data_dir: Path, qtbot: QtBot) -> None:
    """On the Stock page a scan fills the form, Enter in Packs receives it, and the form empties."""
    store, _ = create_store(ui_data_dir, "pat", "pharmacy", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    window = make_window()
    unlock(qtbot, window)
    page: StockPage = window.workspace.show_page("StockPage")
    keys = Keyboard()
    page.scan.setFocus()
    keys.scan(SCAN)
    assert QApplication.focusWidget() is page.quantity
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        keys.key(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1)
    assert page.table.item(0, 3).text() == "1"
    assert page.batch.text() == "" and QApplication.focusWidget() is page.scan
    page.quantity.setFocus()
    keys.key(Qt.Key.Key_Return)  # a second Enter cannot take the same packs in twice
    assert page.message.kind is Kind.ERROR and page.table.item(0, 3).text() == "1"


def test_enter_moves_the_set_up_wizard_on(make_window, qtbot: QtBot) -> None:
    """Set-up by keys: Enter after the area, after each passphrase, and on the saved-key box."""
    window = make_window()
    setup = window.stack.currentWidget()
    assert isinstance(setup, SetupScreen)
    qtbot.keyClicks(setup.user, "alice")
    qtbot.keyClicks(setup.area, "ls6")
    qtbot.keyClick(setup.area, Qt.Key.Key_Return)
    assert setup.steps.currentIndex() == 1
    qtbot.keyClicks(setup.new.first, PASSPHRASE)
    qtbot.keyClick(setup.new.first, Qt.Key.Key_Return)
    assert window.focusWidget() is setup.new.second
    qtbot.keyClicks(setup.new.second, PASSPHRASE)
    qtbot.keyClick(setup.new.second, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: setup.steps.currentIndex() == 2, timeout=20_000)
    qtbot.keyClick(setup.saved, Qt.Key.Key_Return)
    assert setup.steps.currentIndex() == 2  # not before the key is said to be saved
    qtbot.keyClick(setup.saved, Qt.Key.Key_Space)
    qtbot.keyClick(setup.saved, Qt.Key.Key_Return)
    assert setup.steps.currentIndex() == 3  # enrolment, offered before the first record
    assert window.focusWidget() is setup.enrol_form.code
    assert window.workspace is None
    with qtbot.waitSignal(window.unlocked):  # no code yet: Alt+S starts without enrolling
        qtbot.keyClick(setup.enrol_form.code, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)


def test_enter_on_a_focused_button_presses_it(keyboard_window, qtbot: QtBot) -> None:
    """Tab to Save and press Enter: the contact is saved (buttons answer Enter, not only Space)."""
    window = keyboard_window
    page: RecordContactPage = window.workspace.stack.currentWidget()
    page.substances.chip("crack").setChecked(True)
    page.save_button.setFocus()
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as saved:
        qtbot.keyClick(page.save_button, Qt.Key.Key_Return)
    assert saved.args[0].touches("contact")
