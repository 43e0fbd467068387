"""The whole worker flow, driven through the widgets."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from outreach.ui.pages.history import HistoryPage
from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.screens.setup import SetupScreen
from tests.ui.conftest import PASSPHRASE, unlock

GS = "\x1d"
SCAN = "0105060097930012" + "17281231" + "10AB12" + GS + "21SN0001"
LEFT = Qt.MouseButton.LeftButton


def type_scan(qtbot: QtBot, field, text: str, *, ctrl_bracket: bool = True) -> None:
    """Type like a keyboard-wedge scanner: GS arrives as Ctrl+] (or as a raw GS key event).

    QTest cannot type ASCII 29 itself, so the separator is sent as the key a scanner sends.
    """
    for number, part in enumerate(text.split(GS)):
        if number:
            if ctrl_bracket:
                qtbot.keyClick(field, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier)
            else:
                event = QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, GS)
                QApplication.sendEvent(field, event)
        qtbot.keyClicks(field, part)


def test_setup_lock_unlock_contact_kit_history_void(make_window, qtbot: QtBot) -> None:
    """Set-up → lock → unlock → contact with client code → scanned kit → History → void."""
    window = make_window()
    setup: SetupScreen = window.stack.currentWidget()
    qtbot.keyClicks(setup.user, "alice")
    qtbot.keyClicks(setup.area, "LS6")
    qtbot.mouseClick(setup.next_button, LEFT)
    qtbot.keyClicks(setup.new.first, PASSPHRASE)
    qtbot.keyClicks(setup.new.second, PASSPHRASE)
    qtbot.mouseClick(setup.create_button, LEFT)
    qtbot.waitUntil(lambda: setup.steps.currentIndex() == 2, timeout=20_000)
    setup.saved.setChecked(True)
    qtbot.mouseClick(setup.next_to_enrol, LEFT)
    with qtbot.waitSignal(window.unlocked):
        qtbot.mouseClick(setup.finish_button, LEFT)

    with qtbot.waitSignal(window.locked):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    unlock(qtbot, window)

    contact: RecordContactPage = window.workspace.show_page("RecordContactPage")
    qtbot.waitUntil(lambda: contact.client.service_key is not None)
    qtbot.keyClicks(contact.client.initials, "js")
    qtbot.keyClicks(contact.client.dob, "17021990")
    qtbot.keyClicks(contact.client.sex, "f")
    code = contact.client.value()
    assert code is not None and len(code) == 11
    assert contact.client.initials.text() == "" and contact.client.sex.text() == ""
    assert "1990" not in contact.client.dob.text()
    qtbot.mouseClick(contact.substances.chip("heroin"), LEFT)
    qtbot.mouseClick(contact.substances.chip("benzodiazepines"), LEFT)
    assert "HIGH" in contact.risk.text() or "RAISED" in contact.risk.text()
    qtbot.mouseClick(contact.interventions.chip("naloxone_supplied"), LEFT)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as saved:
        qtbot.keyClick(contact.area, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.args[0].touches("contact")
    assert "Saved contact" in contact.banner.label.text()

    kit: IssueKitPage = window.workspace.stack.currentWidget()
    assert isinstance(kit, IssueKitPage)
    assert kit.client_code == code and kit.contact_id
    type_scan(qtbot, kit.scan, SCAN)
    assert kit.scan.scan_text() == SCAN
    qtbot.keyClick(kit.scan, Qt.Key.Key_Return)
    assert kit.batch.text() == "AB12"
    assert kit.serial.text() == "SN0001"
    assert kit.product.currentData() == "prenoxad_2mg_syringe"
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as saved:
        qtbot.keyClick(kit.batch, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.args[0].touches("kit_issue")

    history: HistoryPage = window.workspace.show_page("HistoryPage")
    qtbot.keyClicks(history.search, code)
    qtbot.keyClick(history.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "for this client code" in history.message.text())
    assert history.model.rowCount() == 2
    types = {history.model.stored(r).record.type for r in range(2)}
    assert types == {"contact", "kit_issue"}
    kit_row = next(r for r in range(2) if history.model.stored(r).record.type == "kit_issue")
    history.table.selectRow(kit_row)
    dialog = history.void_selected()
    assert dialog is not None
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as voided:
        dialog.accept()
    assert voided.args[0].retired
    qtbot.waitUntil(
        lambda: any(
            history.model.stored(r).record.type == "kit_issue"
            and not history.model.stored(r).active
            for r in range(history.model.rowCount())
        )
    )
