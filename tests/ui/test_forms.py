"""Record-contact and issue-naloxone details: scans, refusals, flags, reports, undo, cards."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from outreach.domain.ids import is_referral_code
from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.widgets.client_panel import is_marked
from outreach.ui.widgets.message_bar import Kind
from tests.ui.test_flow import GS, SCAN, type_scan

LEFT = Qt.MouseButton.LeftButton
EXPIRED = "0105060097930012" + "17200131" + "10OLD1" + GS + "21SN0009"


def kit_page(window) -> IssueKitPage:
    return window.workspace.show_page("IssueKitPage")


def save(qtbot: QtBot, window, page) -> None:
    """Click Save and wait for the page's own answer (saved banner or the reason it refused)."""
    page.banner.clear()
    qtbot.mouseClick(page.save_button, LEFT)
    qtbot.waitUntil(lambda: bool(page.banner.label.text()), timeout=10_000)


def test_raw_gs_key_event_is_kept(unlocked, qtbot: QtBot) -> None:
    """A raw GS key event (not only Ctrl+]) survives into the scan text and parses."""
    page = kit_page(unlocked)
    type_scan(qtbot, page.scan, SCAN, ctrl_bracket=False)
    assert page.scan.scan_text() == SCAN
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert page.batch.text() == "AB12" and page.serial.text() == "SN0001"


def test_bad_scan_says_why(unlocked, qtbot: QtBot) -> None:
    """An unreadable scan leaves a message and fills nothing."""
    page = kit_page(unlocked)
    qtbot.keyClicks(page.scan, "hello")
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert page.scan_message.text().startswith("Could not read the scan")
    assert page.scan_message.kind is Kind.ERROR
    assert page.batch.text() == ""


def test_expired_kit_refused(unlocked, qtbot: QtBot) -> None:
    """An expired pack is flagged as an error on scan, fills nothing, and cannot be saved."""
    window = unlocked
    page = kit_page(window)
    type_scan(qtbot, page.scan, EXPIRED)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert "Expired on 31 Jan 2020" in page.scan_message.text()
    assert page.scan_message.kind is Kind.ERROR
    assert page.expiry.text() == "" and page.batch.text() == ""
    save(qtbot, window, page)
    assert page.banner.kind is Kind.ERROR and "Not saved" in page.banner.text()
    assert window.workspace.page("HistoryPage").model.rowCount() == 0


def test_repeat_serial_flagged_then_allowed(unlocked, qtbot: QtBot) -> None:
    """A serial issued before is flagged on scan, refused once, then issued on confirmation."""
    window = unlocked
    page = kit_page(window)
    type_scan(qtbot, page.scan, SCAN)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    save(qtbot, window, page)
    assert "Saved kit" in page.banner.label.text()
    type_scan(qtbot, page.scan, SCAN)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "already issued" in page.scan_message.text())
    assert page.scan_message.kind is Kind.WARNING
    save(qtbot, window, page)
    assert "Save again" in page.banner.label.text()
    assert page.banner.kind is Kind.WARNING
    save(qtbot, window, page)
    assert "Saved kit" in page.banner.label.text()


def test_resupply_after_use_saves_naloxone_use(unlocked, qtbot: QtBot) -> None:
    """Repeat supply because the kit was used shows the use report and saves both records."""
    window = unlocked
    page = kit_page(window)
    assert not page.use.isVisibleTo(page)
    qtbot.mouseClick(page.supply.chip("repeat"), LEFT)
    qtbot.mouseClick(page.reason.chip("used_on_other"), LEFT)
    assert page.use.isVisibleTo(page)
    qtbot.mouseClick(page.use.outcome.chip("survived"), LEFT)
    qtbot.mouseClick(page.use.ambulance.chip("yes"), LEFT)
    type_scan(qtbot, page.scan, SCAN)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as saved:
        qtbot.mouseClick(page.save_button, LEFT)
    assert saved.args[0].types == frozenset({"kit_issue", "naloxone_use"})


def test_client_code_history_and_undo(unlocked, qtbot: QtBot) -> None:
    """A repeat client's code shows earlier contacts; Undo voids the contact just saved."""
    window = unlocked
    page: RecordContactPage = window.workspace.show_page("RecordContactPage")
    qtbot.waitUntil(lambda: page.client.service_key is not None)
    page.area.setText("LS6")

    def enter_code() -> str:
        qtbot.keyClicks(page.client.initials, "AB")
        qtbot.keyClicks(page.client.dob, "01011980")
        qtbot.keyClicks(page.client.sex, "M")
        return page.client.value()

    code = enter_code()
    qtbot.waitUntil(lambda: "New client code" in page.client_history.text())
    qtbot.mouseClick(page.risk_factors.chip("previous_overdose"), LEFT)
    assert "HIGH" in page.risk.text() and "overdosed before" in page.risk.text()
    qtbot.mouseClick(page.interventions.chip("harm_reduction_advice"), LEFT)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        qtbot.mouseClick(page.save_button, LEFT)
    assert page.client.value() is None and page.area.text() == "LS6"
    assert enter_code() == code
    qtbot.waitUntil(lambda: "Seen once on this device" in page.client_history.text())
    assert "last risk high" in page.client_history.text()
    assert "comes with the first sync" in page.client_history.plain_text()
    # The previous overdose is carried into the new contact: ticked, marked, and in the risk.
    assert page.risk_factors.selected() == ["previous_overdose"]
    assert is_marked(page.risk_factors.chip("previous_overdose"))
    assert "from earlier contact" in page.risk.text() and "HIGH" in page.risk.text()
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as undone:
        qtbot.mouseClick(page.banner.action, LEFT)
    assert undone.args[0].retired


def test_referral_card_pdf(unlocked, qtbot: QtBot, tmp_path: Path) -> None:
    """Ticking a referral gives it a referral code and a printable card."""
    page: RecordContactPage = unlocked.workspace.show_page("RecordContactPage")
    qtbot.mouseClick(page.referrals.chip("drug_treatment"), LEFT)
    code = page.referral_codes["drug_treatment"]
    assert is_referral_code(code) and code in page.referral_text.text()
    page.print_card_to(tmp_path / "card.pdf")
    assert (tmp_path / "card.pdf").read_bytes().startswith(b"%PDF")
    assert page.form_data()["referrals"] == [{"to": "drug_treatment", "referral_code": code}]


def test_every_control_has_an_accessible_name(unlocked) -> None:
    """Screen readers get a name for every focusable input on every page."""
    missing = []
    for page in unlocked.workspace.pages:
        for widget in page.findChildren(QWidget):
            if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
                continue
            named = bool(widget.accessibleName())
            if isinstance(widget, QAbstractButton):
                named = named or bool(widget.text())
            elif not isinstance(widget, QLineEdit | QComboBox | QAbstractSpinBox | QPlainTextEdit):
                continue
            if not named and widget.parent() is not None:
                # line edits inside spin/combo boxes are named by their owner
                owner = widget.parent()
                named = isinstance(owner, QComboBox | QAbstractSpinBox)
            if not named:
                missing.append(f"{type(page).__name__}: {type(widget).__name__}")
    assert not missing
