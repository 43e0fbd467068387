"""Follow-ups due (issue 15, item 2): the list from the store, a follow-up by keys alone from the
list (the form filled with the event), the areas a device covers, nothing moving when the form
opens, a clear refusal, and which roles have the page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from bench.keyboard_entry import Keyboard, wait_until
from outreach import config
from outreach.domain.client_code import format_client_code, make_client_code
from outreach.records import FollowUp
from outreach.records.follow_up import UK
from outreach.store.session import create_store
from outreach.ui.main_window import MainWindow
from outreach.ui.pages import pages_for
from outreach.ui.pages.follow_ups import FollowUpsPage
from tests.samples import FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock
from tests.ui.test_prevention_pages import saved

CTRL = Qt.KeyboardModifier.ControlModifier
LS6 = make_client_code(b"k" * 32, "AB", dt.date(1985, 3, 4), "f")
M1 = make_client_code(b"k" * 32, "CD", dt.date(1985, 3, 4), "f")


@pytest.fixture
def window(make_window, ui_data_dir: Path, qtbot: QtBot) -> MainWindow:
    """A worker whose store holds a survivor in LS6 (30 h ago), one in M1 (40 h ago: the
    sooner deadline) and a death (no follow-up)."""
    store, _ = create_store(ui_data_dir, "wendy", "worker", PASSPHRASE, kdf=FAST_KDF)
    now = dt.datetime.now(UK)
    base = {"type": "overdose_event", "site": "outreach_van", "location_type": "street"}
    with store:
        for hours, area, code, outcome in (
            (30, "LS6", LS6, "survived"),
            (40, "M1", M1, "survived"),
            (20, "LS6", None, "died"),
        ):
            happened = now - dt.timedelta(hours=hours)
            store.add_new(
                {
                    **base,
                    "area": area,
                    "occurred_on": happened.date().isoformat(),
                    "occurred_time": f"{happened:%H:%M}",
                    "outcome": outcome,
                    "client_code": code,
                }
            )
    config.update_settings(default_area="LS6", default_site="outreach_van")
    made = make_window()
    made.activateWindow()
    unlock(qtbot, made)
    return made


def page_of(window: MainWindow) -> FollowUpsPage:
    page = window.workspace.show_page("FollowUpsPage")
    assert isinstance(page, FollowUpsPage)
    wait_until(lambda: page.table.rowCount() == 2 and bool(page.heading.text()))
    return page


def cells(page: FollowUpsPage) -> list[list[str]]:
    table = page.table
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


def test_a_follow_up_by_keys_alone(window: MainWindow, qtbot: QtBot) -> None:
    """Ctrl+6 opens the list on its first row; Down, Enter (the form, filled with the event),
    arrows and Space (the outcome) and Ctrl+S: 9 presses, and the event is off the list."""
    keys = Keyboard()
    keys.key(Qt.Key.Key_6, CTRL, "Ctrl+6")
    page = window.workspace.stack.currentWidget()
    assert isinstance(page, FollowUpsPage)
    wait_until(lambda: page.table.rowCount() == 2)
    assert QApplication.focusWidget() is page.table
    assert [row[3:] for row in cells(page)] == [
        ["M1", format_client_code(M1)],
        ["LS6", format_client_code(LS6)],
    ]
    assert [row[1] for row in cells(page)] == ["Due now", "Due now"]
    keys.key(Qt.Key.Key_Down)
    keys.key(Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.outcome.first()
    assert "LS6" in page.event_label.text() and format_client_code(LS6) in page.event_label.text()
    for _ in range(4):
        keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Space)  # kit supplied
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        keys.key(Qt.Key.Key_S, CTRL, "Ctrl+S")
    assert len(keys.presses) == 9, keys.presses
    [follow_up] = saved(window, "follow_up")
    assert isinstance(follow_up, FollowUp)
    assert (follow_up.client_code, follow_up.outcome, follow_up.site) == (
        LS6,
        "kit_supplied",
        "outreach_van",
    )
    assert abs(follow_up.occurred_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=2)
    wait_until(lambda: page.table.rowCount() == 1)
    assert cells(page)[0][3] == "M1"
    assert "Saved the follow-up" in page.banner.text()
    assert not page.save_button.isEnabled()  # the form waits for the next event


def _geometry(page: QWidget, widgets: list[QWidget]) -> list[Any]:
    QApplication.processEvents()
    return [w.mapTo(page, w.rect().topLeft()) for w in widgets] + [w.size() for w in widgets]


def _settled(page: QWidget, widgets: list[QWidget]) -> list[Any]:
    """The geometry once the window has stopped resizing (it may still be taking its size
    from the window manager when a loaded machine runs this)."""
    seen = _geometry(page, widgets)
    for _ in range(20):
        QTest.qWait(100)
        now = _geometry(page, widgets)
        if now == seen:
            return now
        seen = now
    return seen


def test_the_form_opens_in_place_and_refuses_clearly(window: MainWindow) -> None:
    page = page_of(window)
    watched = [page.table, page.outcome, page.save_button, page.day, page.event_label]
    before = _settled(page, watched)
    assert not page.form_box.isEnabled() and not page.save_button.isEnabled()
    page.table.setCurrentCell(0, 0)
    page.choose()
    assert page.form_box.isEnabled() and page.save_button.isEnabled()
    assert _geometry(page, watched) == before
    page.save()  # no outcome chosen
    assert "choose the outcome" in page.banner.text()
    assert QApplication.focusWidget() is page.outcome.first()
    page.outcome.set_selected(["reached"])
    page.time.setText("25:99")
    page.save()
    assert "time of the follow-up" in page.banner.text()
    assert saved_none(window)


def saved_none(window: MainWindow) -> bool:
    got: list[int] = []
    window.ops.store(lambda store: len(store.recent(types=["follow_up"]))).success(got.append).run()
    wait_until(lambda: bool(got))
    return got[0] == 0


def test_the_areas_a_device_covers_narrow_the_list_and_are_remembered(
    window: MainWindow,
) -> None:
    page = page_of(window)
    page.areas.setText("ls")  # a prefix, any case
    page.areas.editingFinished.emit()
    wait_until(lambda: page.table.rowCount() == 1)
    assert cells(page)[0][3] == "LS6"
    assert config.load_settings().follow_up_areas == "ls"
    page.areas.setText("M1, LS7")
    page.areas.editingFinished.emit()
    wait_until(lambda: page.table.rowCount() == 1 and cells(page)[0][3] == "M1")


def test_field_staff_have_the_page_and_a_pharmacy_does_not() -> None:
    def has(role: str) -> bool:
        return any(entry.cls == "FollowUpsPage" for entry in pages_for(role))

    assert has("worker") and has("coordinator")
    assert not has("pharmacy")
