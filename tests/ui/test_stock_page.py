"""The Stock page: receive by scan and by hand, on-hand table, alerts, count and write-off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from outreach.store.session import create_store
from outreach.ui.pages.stock_page import StockPage
from outreach.ui.widgets.message_bar import Kind
from tests.ui.conftest import FAST_KDF, PASSPHRASE, unlock
from tests.ui.test_flow import GS, type_scan

LEFT = Qt.MouseButton.LeftButton
SCAN = "0105060097930012" + "17351231" + "10AB12" + GS + "21SN0001"  # Prenoxad, expires 2035


@pytest.fixture
def pharmacy_window(make_window, ui_data_dir: Path, qtbot: QtBot):
    store, _ = create_store(ui_data_dir, "pat", "pharmacy", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    window = make_window()
    unlock(qtbot, window)
    return window


def on_hand(page: StockPage) -> list[tuple[str, ...]]:
    return [
        tuple(page.table.item(row, col).text() for col in range(4))
        for row in range(page.table.rowCount())
    ]


def click_and_wait(qtbot: QtBot, page: StockPage, button) -> None:
    page.message.clear()
    qtbot.mouseClick(button, LEFT)
    qtbot.waitUntil(lambda: bool(page.message.text()), timeout=10_000)


def test_receive_by_scan_then_count_and_write_off(pharmacy_window, qtbot: QtBot) -> None:
    """A scan fills the form; receiving, counting and writing off update the on-hand table."""
    page: StockPage = pharmacy_window.workspace.show_page("StockPage")
    type_scan(qtbot, page.scan, SCAN)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert page.batch.text() == "AB12"
    assert page.product.currentData() == "prenoxad_2mg_syringe"
    page.quantity.setValue(10)
    click_and_wait(qtbot, page, page.receive_button)
    assert "Received 10" in page.message.text()
    qtbot.waitUntil(
        lambda: on_hand(page) == [("Prenoxad 2 mg syringe", "AB12", "31 Dec 2035", "10")]
    )
    page.table.selectRow(0)
    assert page.counted.value() == 10
    page.counted.setValue(8)
    click_and_wait(qtbot, page, page.count_button)
    qtbot.waitUntil(lambda: bool(on_hand(page)) and on_hand(page)[0][3] == "8")
    page.table.selectRow(0)
    page.write_off_quantity.setValue(3)
    page.write_off_reason.setCurrentIndex(page.write_off_reason.findData("damaged"))
    click_and_wait(qtbot, page, page.write_off_button)
    qtbot.waitUntil(lambda: bool(on_hand(page)) and on_hand(page)[0][3] == "5")


def test_writing_off_more_than_held_is_explained(pharmacy_window, qtbot: QtBot) -> None:
    """The ledger refuses negative stock and the page shows the reason, not a crash."""
    page: StockPage = pharmacy_window.workspace.show_page("StockPage")
    qtbot.keyClicks(page.batch, "MAN1")
    qtbot.keyClicks(page.expiry, "31/12/2035")
    page.quantity.setValue(2)
    click_and_wait(qtbot, page, page.receive_button)
    qtbot.waitUntil(lambda: len(on_hand(page)) == 1)
    page.table.selectRow(0)
    page.write_off_quantity.setValue(5)
    click_and_wait(qtbot, page, page.write_off_button)
    assert "not enough stock: Prenoxad 2 mg syringe" in page.message.text()
    assert page.message.kind is Kind.ERROR
    assert on_hand(page)[0][3] == "2"


def test_expiring_batch_raises_an_alert(pharmacy_window, qtbot: QtBot) -> None:
    """A batch expiring within 60 days shows in the alerts list."""
    page: StockPage = pharmacy_window.workspace.show_page("StockPage")
    qtbot.keyClicks(page.batch, "SOON")
    page.expiry.set_date(dt.date.today() + dt.timedelta(days=20))
    click_and_wait(qtbot, page, page.receive_button)
    qtbot.waitUntil(lambda: "SOON" in page.alerts.item(0).text())
    assert "use first" in page.alerts.item(0).text()
    assert "batch SOON" in page.use_first.text()


def test_missing_batch_and_bad_scan_are_explained(pharmacy_window, qtbot: QtBot) -> None:
    """Receiving without a batch, or an unreadable scan, says what to do."""
    page: StockPage = pharmacy_window.workspace.show_page("StockPage")
    qtbot.mouseClick(page.receive_button, LEFT)
    assert "enter the batch" in page.message.text()
    assert page.message.kind is Kind.ERROR
    qtbot.keyClicks(page.scan, "hello")
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert page.message.text().startswith("Could not read the scan")
