"""The coordinator's Devices page against a real hub (uvicorn; SQLite and PostgreSQL): a new
device enrols from the QR code the page shows (read back from a screenshot of the page), the list
shows it, and revoking it with a reason wipes that device at its next sync (issue 13 item 5)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from outreach.errors import SyncError, SyncErrorKind
from outreach.hub.coordinator import audit_log
from outreach.hub.service import Hub
from outreach.store.session import create_store, store_exists
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.ui.dialogs.revoke_dialog import RevokeDialog
from outreach.ui.pages import pages_for
from outreach.ui.pages.devices_page import COLUMNS, DevicesPage
from outreach.ui.qr_decode import decode_qr_image
from tests.hub.harness import BACKENDS, contacts, hub_on, serve_in_thread
from tests.reports.test_cards import decode_pdf_qr
from tests.ui.conftest import FAST_KDF, PASSPHRASE, unlock


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    with hub_on(request.param, tmp_path / "hub") as hub, serve_in_thread(hub) as url:
        yield hub, url


@pytest.fixture
def page(served: tuple[Hub, str], make_window, ui_data_dir: Path, qtbot: QtBot) -> DevicesPage:
    """The Devices page of a coordinator's laptop enrolled (by the operator) as a coordinator."""
    hub, url = served
    store, _ = create_store(ui_data_dir, "cora", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    try:
        enrol(store, hub.new_enrolment(url, label="coordinator laptop", role="coordinator").text())
    finally:
        store.close()
    window = make_window()
    unlock(qtbot, window)
    shown: DevicesPage = window.workspace.show_page("DevicesPage")
    qtbot.waitUntil(lambda: len(shown.rows) == 1, timeout=20_000)
    return shown


def _labels(page: DevicesPage) -> list[str]:
    return [cells[0] for cells in page.row_texts()]


def test_only_coordinators_see_the_page() -> None:
    assert [e.title for e in pages_for("coordinator")].count("Devices") == 1
    assert all(e.title != "Devices" for role in ("worker", "pharmacy") for e in pages_for(role))


def test_a_device_enrols_from_the_qr_on_screen_and_revoking_wipes_it(
    page: DevicesPage, served: tuple[Hub, str], qtbot: QtBot, tmp_path: Path
) -> None:
    hub, _ = served
    assert _labels(page) == ["coordinator laptop"]
    assert page.row_texts()[0][COLUMNS.index("Status")] == "Active"
    page.role.setCurrentIndex(page.role.findData("worker"))
    page.label.setText("van 2")
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.made is not None and page.qr.pixmap() is not None, timeout=20_000)
    shot = tmp_path / "page.png"
    assert page.grab().save(str(shot))
    text = decode_qr_image(shot)
    assert page.made is not None and text == page.made.code
    van, _ = create_store(tmp_path / "van", "val", "worker", PASSPHRASE, kdf=FAST_KDF)
    enrol(van, text)
    bad = msgspec.structs.replace(contacts(1)[0], site="no_such_site")
    van.add([*contacts(3), bad])
    assert sync_now(van).quarantined == 1
    page.refresh()
    qtbot.waitUntil(lambda: "van 2" in _labels(page), timeout=20_000)
    cells = page.row_texts()[_labels(page).index("van 2")]
    assert cells[COLUMNS.index("Role")] == "outreach worker"
    assert cells[COLUMNS.index("Last synced seq")] == "4"
    assert cells[COLUMNS.index("Quarantined")] == "1"
    assert [(g.label, g.records) for g in page.groups] == [("van 2", 1)]
    assert "site" in page.quarantine.item(0, 1).text()  # type: ignore[union-attr]
    assert page.tabs.tabText(1) == "&Quarantine (1)"
    assert cells[COLUMNS.index("Last seen")] != "never"
    assert cells[COLUMNS.index("Users")] == "unknown"
    # Revoke: the dialog asks for a reason before it can be confirmed.
    page.table.setCurrentCell(_labels(page).index("van 2"), 0)
    dialog = page.revoke_selected()
    assert isinstance(dialog, RevokeDialog) and not dialog.ok.isEnabled()
    dialog.reason.setCurrentIndex(dialog.reason.findData("stolen"))
    assert dialog.ok.isEnabled()
    dialog.accept()
    qtbot.waitUntil(lambda: "Revoked van 2" in page.message.text(), timeout=20_000)
    status = page.row_texts()[_labels(page).index("van 2")][COLUMNS.index("Status")]
    assert status.startswith("Revoked") and "stolen" in status
    with pytest.raises(SyncError) as caught:
        sync_now(van)
    assert caught.value.kind is SyncErrorKind.REVOKED
    assert not store_exists(tmp_path / "van")
    actions = [e["action"] for e in audit_log(hub)]
    assert "enrolment-code" in actions and "revoke" in actions


def test_the_printable_pdf_holds_the_code(page: DevicesPage, qtbot: QtBot, tmp_path: Path) -> None:
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.pdf_button.isEnabled(), timeout=20_000)
    target = tmp_path / "code.pdf"
    page.save_pdf(target)
    qtbot.waitUntil(lambda: "Saved to" in page.code_about.text(), timeout=20_000)
    assert page.made is not None
    assert decode_pdf_qr(target) == [page.made.code]  # zbar, independent of the app's decoder
    text = subprocess.run(
        ["pdftotext", str(target), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "outreach worker" in text and "destroy it once used" in text
    assert "".join(text.split()).find(page.made.code) >= 0  # the code's text, wrapped


def test_cancelling_the_revoke_dialog_changes_nothing(
    page: DevicesPage, served: tuple[Hub, str], qtbot: QtBot
) -> None:
    hub, _ = served
    page.table.setCurrentCell(0, 0)
    dialog = page.revoke_selected()
    assert dialog is not None
    dialog.reject()
    qtbot.wait(200)
    assert all(row["revoked_at"] is None for row in hub.list_devices())
    assert sorted(e["action"] for e in audit_log(hub)) == ["devices", "quarantine"]


def test_keyboard_only_makes_a_code_and_opens_the_revoke_dialog(
    page: DevicesPage, qtbot: QtBot
) -> None:
    """From the navigation list End shows the page (the last) with the focus on the list; Tab
    reaches every control in order, Space on "Make enrolment code" makes one, Down selects a device
    and Space on Revoke asks."""
    window = page.window()
    workspace = window.workspace  # type: ignore[attr-defined]
    workspace.show_index(0)
    workspace.nav.setFocus()
    qtbot.keyClick(workspace.nav, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: workspace.current_name() == "DevicesPage")
    qtbot.waitUntil(lambda: page.table.hasFocus() and page.refresh_button.isEnabled())
    chain = [page.table]
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        chain.append(QApplication.focusWidget())
    assert chain == [
        page.table,
        page.revoke_button,
        page.refresh_button,
        page.role,
        page.label,
        page.days,
        page.make_button,
    ]
    qtbot.keyClick(page.make_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.made is not None, timeout=20_000)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    assert page.selected() is not None
    page.revoke_button.setFocus()
    qtbot.keyClick(page.revoke_button, Qt.Key.Key_Space)
    dialog = page.findChild(RevokeDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_the_page_fits_a_1366x768_laptop(page: DevicesPage, qtbot: QtBot) -> None:
    """At the window size a 1366x768 screen opens with, the QR code is whole and on screen, and
    the list shows at least five rows."""
    from PySide6.QtCore import QRect

    from outreach.ui.main_window import ASSUMED_FRAME, fitted_geometry

    window = page.window()
    window.setGeometry(fitted_geometry(QRect(0, 0, 1366, 768), ASSUMED_FRAME))
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.made is not None, timeout=20_000)
    qtbot.wait(100)
    shown = page.rect()
    for widget in (page.qr, page.make_button, page.pdf_button, page.revoke_button):
        corner = widget.mapTo(page, widget.rect().bottomRight())
        assert shown.contains(corner) and widget.isVisible(), widget.accessibleName()
    assert page.qr.width() == page.qr.height() >= 200
    assert page.table.viewport().height() >= 5 * page.table.verticalHeader().defaultSectionSize()
