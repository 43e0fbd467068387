"""Locking never loses a form in progress: the same user gets it back; nobody else sees it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from outreach.store.session import add_user
from outreach.ui.drafts import DISCARDED, KEPT
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.widgets.message_bar import Kind
from tests.samples import FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock
from tests.ui.test_flow import SCAN, type_scan

LEFT = Qt.MouseButton.LeftButton
OTHER_PASSPHRASE = "another long passphrase for bob"


def fill_in(qtbot: QtBot, window: MainWindow) -> tuple[str, str]:
    """Half a contact (code, area, chips) and half a kit (scanned, recipient changed)."""
    contact: RecordContactPage = window.workspace.show_page("RecordContactPage")
    qtbot.waitUntil(lambda: contact.client.service_key is not None)
    qtbot.keyClicks(contact.client.initials, "JS")
    qtbot.keyClicks(contact.client.dob, "17021990")
    qtbot.keyClicks(contact.client.sex, "F")
    code = contact.client.value()
    contact.area.setText("LS7")
    qtbot.mouseClick(contact.substances.chip("heroin"), LEFT)
    qtbot.mouseClick(contact.risk_factors.chip("previous_overdose"), LEFT)
    qtbot.mouseClick(contact.referrals.chip("gp"), LEFT)
    referral = contact.referral_codes["gp"]
    kit: IssueKitPage = window.workspace.show_page("IssueKitPage")
    type_scan(qtbot, kit.scan, SCAN)
    qtbot.keyClick(kit.scan, Qt.Key.Key_Return)
    assert kit.batch.text() == "AB12"
    qtbot.mouseClick(kit.recipient.chip("family_friend"), LEFT)
    return code, referral


def assert_restored(window: MainWindow, code: str, referral: str) -> None:
    contact: RecordContactPage = window.workspace.page("RecordContactPage")
    assert contact.client.value() == code and contact.area.text() == "LS7"
    assert contact.substances.selected() == ["heroin"]
    assert contact.risk_factors.selected() == ["previous_overdose"]
    assert contact.referral_codes == {"gp": referral}
    assert "HIGH" in contact.risk.text()
    kit: IssueKitPage = window.workspace.page("IssueKitPage")
    assert window.workspace.stack.currentWidget() is kit  # the page that was shown
    assert (kit.batch.text(), kit.serial.text()) == ("AB12", "SN0001")
    assert kit.expiry.date() is not None and kit.recipient.selected() == ["family_friend"]
    assert kit.banner.text() == KEPT


def test_ctrl_l_then_same_user_gets_the_forms_back(unlocked, qtbot: QtBot) -> None:
    """Ctrl+L, then the same user's unlock: both forms and the page shown come back."""
    window = unlocked
    code, referral = fill_in(qtbot, window)
    with qtbot.waitSignal(window.locked):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.workspace is None
    unlock(qtbot, window)
    assert_restored(window, code, referral)


def test_idle_lock_keeps_the_forms_in_memory_only(unlocked, qtbot: QtBot, ui_data_dir) -> None:
    """The idle lock keeps the forms too, and nothing of them reaches a file on disk."""
    window = unlocked
    code, referral = fill_in(qtbot, window)
    window.idle.set_minutes(0.001)
    window.idle.start()
    with qtbot.waitSignal(window.locked, timeout=5_000):
        pass
    for path in Path(ui_data_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert code.encode() not in data and b"SN0001" not in data, path
    unlock(qtbot, window)
    assert_restored(window, code, referral)


def test_another_user_unlocking_discards_the_forms(unlocked, qtbot: QtBot, ui_data_dir) -> None:
    """Another user's unlock starts with empty forms and says that a form was discarded."""
    window = unlocked
    add_user(ui_data_dir, "alice", PASSPHRASE, "bob", "worker", OTHER_PASSPHRASE, kdf=FAST_KDF)
    fill_in(qtbot, window)
    with qtbot.waitSignal(window.locked):
        window.lock()
    screen = window.stack.currentWidget()
    assert "kept for alice" in screen.message.text()
    screen.reload_users()
    screen.user.setCurrentIndex(screen.user.findText("bob", Qt.MatchFlag.MatchStartsWith))
    unlock(qtbot, window, OTHER_PASSPHRASE)
    assert window.ctx.user == "bob"
    contact: RecordContactPage = window.workspace.stack.currentWidget()
    assert isinstance(contact, RecordContactPage)
    assert contact.client.value() is None and contact.substances.selected() == []
    assert contact.banner.text() == DISCARDED and contact.banner.kind is Kind.WARNING
    kit: IssueKitPage = window.workspace.page("IssueKitPage")
    assert kit.batch.text() == "" and kit.recipient.selected() == ["person_at_risk"]
    with qtbot.waitSignal(window.locked):
        window.lock()
    screen = window.stack.currentWidget()
    screen.user.setCurrentIndex(screen.user.findText("alice", Qt.MatchFlag.MatchStartsWith))
    unlock(qtbot, window)
    assert window.workspace.page("RecordContactPage").client.value() is None  # gone for good


def test_stock_receive_form_survives_a_lock(make_window, ui_data_dir, qtbot: QtBot) -> None:
    """A pharmacy user's half-typed receipt (batch, expiry, packs) is there after unlocking."""
    from outreach.store.session import create_store
    from outreach.ui.pages.stock_page import StockPage

    store, _ = create_store(ui_data_dir, "pat", "pharmacy", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    window = make_window()
    unlock(qtbot, window)
    page: StockPage = window.workspace.show_page("StockPage")
    qtbot.keyClicks(page.batch, "LOT7")
    qtbot.keyClicks(page.expiry, "30/06/2031")
    page.quantity.setValue(7)
    with qtbot.waitSignal(window.locked):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    unlock(qtbot, window)
    page = window.workspace.stack.currentWidget()
    assert isinstance(page, StockPage)
    assert (page.batch.text(), page.expiry.text(), page.quantity.value()) == (
        "LOT7",
        "30/06/2031",
        7,
    )
    assert page.message.text() == KEPT
