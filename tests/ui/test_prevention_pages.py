"""The issue 15 pages: Record overdose by keys alone, its stable layout and rules, the
coordinator's Referral outcomes (by keys, and a CSV import that saves all or nothing) and the
Overdose review list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from bench.keyboard_entry import Keyboard, wait_until
from outreach import config
from outreach.records import OverdoseEvent, ReferralOutcome
from outreach.store.session import create_store
from outreach.ui.main_window import MainWindow
from outreach.ui.pages.overdose_review import OverdoseReviewPage
from outreach.ui.pages.record_overdose import RecordOverdosePage
from outreach.ui.pages.referral_outcomes import ReferralOutcomesPage
from tests.samples import FAST_KDF, PASSPHRASE
from tests.ui.conftest import unlock

CTRL = Qt.KeyboardModifier.ControlModifier


def saved(window: MainWindow, kind: str) -> list[Any]:
    got: list[list[Any]] = []
    window.ops.store(
        lambda store: [s.record for s in store.recent(types=[kind]) if s.active]
    ).success(got.append).run()
    wait_until(lambda: bool(got))
    return got[0]


@pytest.fixture
def worker_window(make_window, existing_store: Path, qtbot: QtBot) -> MainWindow:
    config.update_settings(default_area="LS6", default_site="outreach_van")
    window = make_window()
    window.activateWindow()
    unlock(qtbot, window)
    return window


@pytest.fixture
def coordinator_window(make_window, ui_data_dir: Path, qtbot: QtBot) -> MainWindow:
    store, _ = create_store(ui_data_dir, "cora", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    config.update_settings(default_area="LS6", default_site="service_hub")
    window = make_window()
    window.activateWindow()
    unlock(qtbot, window)
    return window


def test_an_overdose_by_keys_alone(worker_window: MainWindow, qtbot: QtBot) -> None:
    """Ctrl+5 opens the form on the date; Enter, arrows, Space, Tab and Ctrl+S record a whole
    event (today's date kept, time typed, area remembered) in 34 presses."""
    window = worker_window
    keys = Keyboard()
    keys.key(Qt.Key.Key_5, CTRL, "Ctrl+5")
    page = window.workspace.stack.currentWidget()
    assert isinstance(page, RecordOverdosePage)
    assert QApplication.focusWidget() is page.occurred_on
    keys.key(Qt.Key.Key_Return)  # today's date is already there
    keys.type("21:40")
    keys.key(Qt.Key.Key_Return)  # → site
    keys.key(Qt.Key.Key_Tab)  # → area, LS6 remembered
    keys.key(Qt.Key.Key_Return)  # → how known
    assert QApplication.focusWidget() is page.source.first()
    keys.key(Qt.Key.Key_Space)  # witnessed; a single choice moves on
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Space)  # street
    assert QApplication.focusWidget() is page.substances.first()
    keys.key(Qt.Key.Key_Space)  # heroin
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Space)  # synthetic opioids
    keys.key(Qt.Key.Key_Return)  # → naloxone given
    keys.key(Qt.Key.Key_Space)  # yes: the details open, and the focus goes on to them
    assert QApplication.focusWidget() is page.administered_by.first()
    for _ in range(3):
        keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Space)  # service worker
    assert QApplication.focusWidget() is page.doses
    keys.type("2")
    keys.key(Qt.Key.Key_Tab)  # → whose kit
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Space)  # the service's kit
    keys.key(Qt.Key.Key_Space)  # ambulance: yes
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Space)  # hospital: no
    keys.key(Qt.Key.Key_Space)  # outcome: survived
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        keys.key(Qt.Key.Key_S, CTRL, "Ctrl+S")
    assert len(keys.presses) == 34, keys.presses  # 5 of them the time, 1 the dose
    [event] = saved(window, "overdose_event")
    assert isinstance(event, OverdoseEvent)
    assert (event.occurred_on, event.occurred_time, event.area) == (dt.date.today(), "21:40", "LS6")
    assert (event.source, event.location_type) == ("witnessed", "street")
    assert event.substances == ("heroin", "synthetic_opioids")
    assert (event.naloxone_given, event.administered_by, event.doses, event.kit_owner) == (
        "yes",
        "service_worker",
        2,
        "service",
    )
    assert (event.ambulance_called, event.taken_to_hospital, event.outcome) == (
        "yes",
        "no",
        "survived",
    )
    assert event.client_code is None
    assert "Saved the overdose" in page.banner.text()
    assert QApplication.focusWidget() is page.occurred_on  # ready for the next one


def _geometry(page: QWidget, widgets: list[QWidget]) -> list[Any]:
    QApplication.processEvents()
    return [w.mapTo(page, w.rect().topLeft()) for w in widgets] + [w.size() for w in widgets]


def test_details_follow_the_answers_and_nothing_moves(worker_window: MainWindow) -> None:
    """Naloxone details are asked only when it was given, the survivor's code only when the
    person did not die: disabled, not hidden, so no field moves."""
    page = worker_window.workspace.show_page("RecordOverdosePage")
    assert isinstance(page, RecordOverdosePage)
    watched = [page.outcome, page.client, page.save_button, page.kit_owner, page.hospital]
    before = _geometry(page, watched)
    assert not page.administered_by.isEnabled() and not page.doses.isEnabled()
    page.naloxone.set_selected(["yes"])
    assert page.administered_by.isEnabled() and page.kit_owner.isEnabled()
    page.administered_by.set_selected(["peer"])
    assert page.form_data()["administered_by"] == "peer"
    page.naloxone.set_selected(["no"])
    assert not page.administered_by.isEnabled()
    assert "administered_by" not in page.form_data()  # nothing given: nothing about it saved
    page.outcome.set_selected(["died"])
    assert not page.client.isEnabled() and page.form_data()["client_code"] is None
    page.outcome.set_selected(["survived"])
    assert page.client.isEnabled()
    assert _geometry(page, watched) == before


def test_missing_area_and_bad_time_are_refused_clearly(worker_window: MainWindow) -> None:
    page = worker_window.workspace.show_page("RecordOverdosePage")
    assert isinstance(page, RecordOverdosePage)
    page.area.clear()
    page.save()
    assert "type the area" in page.banner.text()
    assert QApplication.focusWidget() is page.area
    page.area.setText("ls6")
    page.occurred_time.setText("9pm")
    page.save()
    wait_until(lambda: "hour and minute" in page.banner.text())
    assert saved(worker_window, "overdose_event") == []


def test_a_worker_has_no_coordinator_pages(worker_window: MainWindow) -> None:
    classes = [entry.cls for entry in worker_window.workspace.entries]
    assert "RecordOverdosePage" in classes
    assert "ReferralOutcomesPage" not in classes and "OverdoseReviewPage" not in classes


def test_a_fatal_overdose_appears_on_the_review_list(
    coordinator_window: MainWindow, qtbot: QtBot
) -> None:
    window = coordinator_window
    review = window.workspace.show_page("OverdoseReviewPage")
    assert isinstance(review, OverdoseReviewPage)
    wait_until(lambda: "No fatal" in review.heading.text())
    page = window.workspace.show_page("RecordOverdosePage")
    assert isinstance(page, RecordOverdosePage)
    page.location.set_selected(["hostel"])
    page.substances.set_selected(["heroin"])
    page.naloxone.set_selected(["no"])
    page.outcome.set_selected(["died"])
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        page.save()
    assert "review list" in page.banner.text()
    wait_until(lambda: review.table.rowCount() == 1)
    cells = [review.table.item(0, column).text() for column in range(review.table.columnCount())]
    assert cells[2:7] == ["LS6", "Hostel", "Heroin", "No", "Unknown"]
    assert cells[7] == "cora" and "1 fatal" in review.heading.text()


def test_a_referral_outcome_by_keys(coordinator_window: MainWindow, qtbot: QtBot) -> None:
    window = coordinator_window
    keys = Keyboard()
    keys.key(Qt.Key.Key_8, CTRL, "Ctrl+8")
    page = window.workspace.stack.currentWidget()
    assert isinstance(page, ReferralOutcomesPage)
    assert QApplication.focusWidget() is page.code
    keys.type("r-7k2m-q9xd")
    keys.key(Qt.Key.Key_Return)  # tidied as printed; → outcome
    assert page.code.text() == "R-7K2M-Q9XD"
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Right)
    keys.key(Qt.Key.Key_Space)  # started treatment; → date (today)
    assert QApplication.focusWidget() is page.outcome_on
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        keys.key(Qt.Key.Key_S, CTRL, "Ctrl+S")
    [outcome] = saved(window, "referral_outcome")
    assert isinstance(outcome, ReferralOutcome)
    assert (outcome.referral_code, outcome.outcome, outcome.outcome_on, outcome.source) == (
        "R-7K2M-Q9XD",
        "started_treatment",
        dt.date.today(),
        "recorded",
    )
    assert outcome.site == "service_hub"


def test_a_csv_import_saves_all_lines_or_none(
    coordinator_window: MainWindow, tmp_path: Path, qtbot: QtBot
) -> None:
    window = coordinator_window
    page = window.workspace.show_page("ReferralOutcomesPage")
    assert isinstance(page, ReferralOutcomesPage)
    good = "R-7K2M-Q9XD,attended,2026-11-03\nR-AAAA-0001,did not attend,04/11/2026\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(good + "R-AAAA-0002,attended,2026-11-31\n", encoding="utf-8")
    page.import_file(bad)
    wait_until(lambda: page.problems.count() == 1)
    assert page.problems.item(0).text().startswith("line 3, field 'date':")
    assert "Nothing was saved" in page.banner.text()
    assert saved(window, "referral_outcome") == []
    fixed = tmp_path / "good.csv"
    fixed.write_text(good, encoding="utf-8")
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        page.import_file(fixed)
    wait_until(lambda: "Imported 2" in page.banner.text())
    assert page.problems.count() == 0
    assert sorted(r.referral_code for r in saved(window, "referral_outcome")) == [
        "R-7K2M-Q9XD",
        "R-AAAA-0001",
    ]
    page.import_file(missing := tmp_path / "none.csv")
    wait_until(lambda: "Could not read" in page.banner.text())
    assert not missing.exists()


def test_a_lock_keeps_the_overdose_form(worker_window: MainWindow, qtbot: QtBot) -> None:
    """Ctrl+L mid-entry, the same user unlocks: the overdose form is as it was left."""
    window = worker_window
    page = window.workspace.show_page("RecordOverdosePage")
    assert isinstance(page, RecordOverdosePage)
    assert page.draft() is None  # only defaults so far
    page.occurred_time.setText("03:10")
    page.substances.set_selected(["heroin", "crack"])
    page.naloxone.set_selected(["yes"])
    page.administered_by.set_selected(["peer"])
    page.doses.setValue(3)
    page.outcome.set_selected(["survived"])
    with qtbot.waitSignal(window.locked):
        qtbot.keyClick(window, Qt.Key.Key_L, CTRL)
    unlock(qtbot, window)
    back = window.workspace.stack.currentWidget()
    assert isinstance(back, RecordOverdosePage) and back is not page
    data = back.form_data()
    assert (data["occurred_time"], data["substances"], data["administered_by"]) == (
        "03:10",
        ["heroin", "crack"],
        "peer",
    )
    assert (data["doses"], data["outcome"], back.administered_by.isEnabled()) == (
        3,
        "survived",
        True,
    )
