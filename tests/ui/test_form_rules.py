"""Forms that protect the data: empty contact refused, kit site and stock, expiry typed or
scanned, one date format, warnings distinct from confirmations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from outreach.store.session import create_store
from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.pages.stock_page import StockPage
from outreach.ui.widgets.date_field import parse_date, show_date
from outreach.ui.widgets.message_bar import Kind
from tests.samples import FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock
from tests.ui.test_flow import SCAN, type_scan
from tests.ui.test_forms import EXPIRED

LEFT = Qt.MouseButton.LeftButton


def test_a_stray_ctrl_s_on_an_empty_contact_is_refused(unlocked, qtbot: QtBot) -> None:
    """Ctrl+S with nothing chosen beyond the remembered defaults saves nothing and says why."""
    window = unlocked
    page: RecordContactPage = window.workspace.stack.currentWidget()
    page.area.setText("LS6")
    qtbot.keyClick(window.workspace.nav, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(page.banner.text()), timeout=10_000)
    assert page.banner.kind is Kind.ERROR
    assert "nothing was recorded about this contact" in page.banner.text()
    history = window.workspace.page("HistoryPage")
    qtbot.waitUntil(lambda: not window.ops.busy)
    assert history.model.rowCount() == 0


@pytest.fixture
def pharmacy(make_window, ui_data_dir: Path, qtbot: QtBot):
    store, _ = create_store(ui_data_dir, "pat", "pharmacy", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    window = make_window()
    unlock(qtbot, window)
    return window


def test_pharmacy_kit_is_recorded_at_the_pharmacy_and_leaves_its_stock(pharmacy, qtbot) -> None:
    """A pharmacy user's kit form starts at their pharmacy, and saving takes a pack from it."""
    window = pharmacy
    stock: StockPage = window.workspace.show_page("StockPage")
    assert stock.current_site() == "pharmacy"
    type_scan(qtbot, stock.scan, SCAN)
    qtbot.keyClick(stock.scan, Qt.Key.Key_Return)
    stock.quantity.setValue(5)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        qtbot.keyClick(stock.quantity, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: stock.table.rowCount() == 1 and stock.table.item(0, 3).text() == "5")
    kit: IssueKitPage = window.workspace.show_page("IssueKitPage")
    assert kit.site.site() == "pharmacy"
    type_scan(qtbot, kit.scan, SCAN)
    qtbot.keyClick(kit.scan, Qt.Key.Key_Return)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as saved:
        qtbot.mouseClick(kit.save_button, LEFT)
    assert saved.args[0].types == frozenset({"kit_issue", "stock_movement"})
    assert "Partner pharmacy" in kit.banner.text() and kit.banner.kind is Kind.SAVED
    window.workspace.show_page("StockPage")
    qtbot.waitUntil(lambda: stock.table.item(0, 3).text() == "4")


def test_expiry_must_be_scanned_or_typed(unlocked, qtbot: QtBot) -> None:
    """No silent expiry: a typed batch without a date is refused; a typed dd/mm/yyyy is taken."""
    window = unlocked
    kit: IssueKitPage = window.workspace.show_page("IssueKitPage")
    assert kit.expiry.text() == "" and kit.expiry.date() is None
    qtbot.keyClicks(kit.batch, "HAND1")
    qtbot.mouseClick(kit.save_button, LEFT)
    assert kit.banner.kind is Kind.ERROR and "expiry date is needed" in kit.banner.text()
    qtbot.mouseClick(kit.expiry, LEFT)  # no part to select first: typing just works
    qtbot.keyClicks(kit.expiry, "31/12/2030")
    assert kit.expiry.date() == dt.date(2030, 12, 31)
    qtbot.keyClick(kit.expiry, Qt.Key.Key_Return)
    assert kit.expiry.text() == "31 Dec 2030"
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        qtbot.mouseClick(kit.save_button, LEFT)
    assert kit.banner.kind is Kind.SAVED


def test_clearing_a_scan_clears_what_it_filled(unlocked, qtbot: QtBot) -> None:
    """An expired scan fills nothing; a good scan's fields go when the scan is cleared."""
    kit: IssueKitPage = unlocked.workspace.show_page("IssueKitPage")
    type_scan(qtbot, kit.scan, EXPIRED)
    qtbot.keyClick(kit.scan, Qt.Key.Key_Return)
    assert kit.expiry.text() == "" and kit.batch.text() == ""
    assert kit.scan_message.kind is Kind.ERROR
    kit.scan.selectAll()
    qtbot.keyClick(kit.scan, Qt.Key.Key_Backspace)
    assert kit.scan_message.text() == ""
    type_scan(qtbot, kit.scan, SCAN)
    qtbot.keyClick(kit.scan, Qt.Key.Key_Return)
    assert kit.expiry.text() == "31 Dec 2028" and kit.scan_message.kind is Kind.INFO
    type_scan(qtbot, kit.scan, "x")
    kit.scan.selectAll()
    qtbot.keyClick(kit.scan, Qt.Key.Key_Backspace)
    assert (kit.batch.text(), kit.expiry.text(), kit.serial.text()) == ("", "", "")


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("12/11/2026", dt.date(2026, 11, 12)),
        ("12-11-26", dt.date(2026, 11, 12)),
        ("1.2.2027", dt.date(2027, 2, 1)),
        ("12112026", dt.date(2026, 11, 12)),
        ("12 Nov 2026", dt.date(2026, 11, 12)),
        ("12 november 2026", dt.date(2026, 11, 12)),
        ("", None),
    ],
)
def test_typed_dates(typed: str, day: dt.date | None) -> None:
    """Typed dates are day first, with any separator, digits only, or as they are shown."""
    assert parse_date(typed) == day
    if day is not None:
        assert parse_date(show_date(day)) == day and show_date(day) == day.strftime("%d %b %Y")


@pytest.mark.parametrize("typed", ["31/02/2026", "12/13/2026", "next week", "12 Foo 2026"])
def test_impossible_dates_say_why(typed: str) -> None:
    """A date that does not exist, or is not a date, is refused with a reason."""
    with pytest.raises(ValueError, match=r"date|month"):
        parse_date(typed)


def test_message_kinds_differ_in_colour_icon_and_words(qtbot: QtBot) -> None:
    """Confirmations, warnings and errors differ in style, icon and the spoken prefix."""
    from outreach.ui.widgets.message_bar import MessageBar

    bar = MessageBar("Test")
    qtbot.addWidget(bar)
    looks = {}
    for kind in (Kind.SAVED, Kind.WARNING, Kind.ERROR):
        bar.show_message(kind, "Same text")
        looks[kind] = (bar.styleSheet(), bar.icon.pixmap().cacheKey(), bar.accessibleDescription())
    assert len({look[0] for look in looks.values()}) == 3
    assert looks[Kind.WARNING][2] == "Warning: Same text"
    assert looks[Kind.ERROR][2] == "Error: Same text"
    assert len({look[2] for look in looks.values()}) == 3
    assert not bar.icon.pixmap().isNull()


def test_refusals_name_products_by_label(unlocked, qtbot: QtBot) -> None:
    """A pack that is not the product chosen is refused in words: labels, no codes."""
    window = unlocked
    kit: IssueKitPage = window.workspace.show_page("IssueKitPage")
    type_scan(qtbot, kit.scan, SCAN)
    qtbot.keyClick(kit.scan, Qt.Key.Key_Return)
    kit.product.setCurrentIndex(kit.product.findData("nyxoid_1_8mg_nasal"))
    qtbot.mouseClick(kit.save_button, LEFT)
    qtbot.waitUntil(lambda: kit.banner.kind is Kind.ERROR, timeout=10_000)
    text = kit.banner.text()
    assert "Prenoxad 2 mg syringe" in text and kit.product.currentText() in text
    assert "_" not in text
