"""The Dashboard page: period, headline numbers, chart, at-risk list, publication and exports."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from outreach.store.session import create_store
from outreach.ui.pages.dashboard_page import DashboardPage, integer_axis, month_span
from tests.reports.conftest import CODES, JANUARY, seed_january
from tests.ui.conftest import FAST_KDF, PASSPHRASE, unlock


@pytest.fixture
def dashboard(make_window, ui_data_dir: Path, qtbot: QtBot) -> DashboardPage:
    store, _ = create_store(ui_data_dir, "cora", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    try:
        seed_january(store)
    finally:
        store.close()
    window = make_window()
    unlock(qtbot, window)
    page: DashboardPage = window.workspace.show_page("DashboardPage")
    page.set_period(*JANUARY)
    qtbot.waitUntil(lambda: page.counts is not None and page.counts.start == JANUARY[0])
    assert headline(page, "kits") == "*"  # published until "exact" is chosen (issue 13)
    assert "published (small numbers suppressed)" in page.message.text()
    page.exact.setChecked(True)
    assert "exact (not for publication)" in page.message.text()
    return page


def headline(page: DashboardPage, name: str) -> str:
    return page.headline_labels[name].text().split("</b>")[0].rsplit(">", 1)[-1]


def test_headlines_chart_and_at_risk_list(dashboard: DashboardPage) -> None:
    """January's numbers show as headlines, the chart has the kit products, at-risk by area."""
    assert headline(dashboard, "kits") == "4"
    assert headline(dashboard, "people_reached") == "3"
    dashboard.chart_choice.setCurrentIndex(dashboard.chart_choice.findData("kits_by_product"))
    assert dashboard.chart_values() == [
        ("Nyxoid 1.8 mg nasal spray", 3),
        ("Prenoxad 2 mg syringe", 1),
    ]
    assert dashboard.chart_view.chart().series()  # type: ignore[attr-defined]
    areas = {dashboard.at_risk.item(row, 0).text() for row in range(dashboard.at_risk.rowCount())}
    assert areas == {"LS1", "LS2"}


def test_publication_box_suppresses_small_numbers(dashboard: DashboardPage) -> None:
    """Unticking "Exact (not for publication)" turns 1-7 into * everywhere on screen."""
    dashboard.chart_choice.setCurrentIndex(dashboard.chart_choice.findData("kits_by_product"))
    dashboard.exact.setChecked(False)
    assert headline(dashboard, "kits") == "*"
    assert dashboard.at_risk.item(0, 2).text() == "*"
    assert [value for _, value in dashboard.chart_values()] == ["*", "*"]
    assert chart_categories(dashboard) == ["Prenoxad 2 mg syringe", "Nyxoid 1.8 mg nasal spray"]
    assert dashboard.chart_value_labels() == ["*", "*"]
    dashboard.exact.setChecked(True)
    assert headline(dashboard, "kits") == "4"


def chart_categories(page: DashboardPage) -> list[str]:
    from PySide6.QtCharts import QBarCategoryAxis

    chart = page.chart_view.chart()  # type: ignore[attr-defined]
    axis = next(a for a in chart.axes() if isinstance(a, QBarCategoryAxis))
    return list(axis.categories())


def value_ticks(page: DashboardPage) -> list[float]:
    from PySide6.QtCharts import QValueAxis

    chart = page.chart_view.chart()  # type: ignore[attr-defined]
    axis = next(a for a in chart.axes() if isinstance(a, QValueAxis))
    count = axis.tickCount()
    step = (axis.max() - axis.min()) / (count - 1)
    return [axis.min() + i * step for i in range(count)]


def test_chart_axis_ticks_are_whole_numbers(dashboard: DashboardPage) -> None:
    """The count axis ticks at whole numbers (not 0, 0.5, 1, 1.5 printed as "0 0 1 1 2")."""
    dashboard.chart_choice.setCurrentIndex(dashboard.chart_choice.findData("kits_by_product"))
    ticks = value_ticks(dashboard)
    assert ticks == [0, 1, 2, 3]
    assert dashboard.chart_value_labels() == ["1", "3"]


@pytest.mark.parametrize("largest", [0, 1, 2, 3, 5, 7, 9, 10, 11, 23, 99, 101, 4999, 123_456])
def test_integer_axis_covers_the_largest_count_in_whole_steps(largest: int) -> None:
    """Every axis reaches the largest count with at most 6 ticks, each a whole number."""
    top, ticks = integer_axis(largest)
    step = top / (ticks - 1)
    assert top >= largest and ticks <= 6 and step == int(step)
    assert top < max(largest, 1) + step  # no empty step beyond the data


def test_site_choice_recounts(dashboard: DashboardPage, qtbot: QtBot) -> None:
    """Choosing one site counts only its records."""
    dashboard.site.setCurrentIndex(dashboard.site.findData("pharmacy"))
    qtbot.waitUntil(lambda: dashboard.counts is not None and dashboard.counts.site == "pharmacy")
    assert headline(dashboard, "kits") == "2"


@pytest.mark.parametrize("kind", ["csv", "pdf"])
def test_exports_write_files_without_client_codes(
    dashboard: DashboardPage, qtbot: QtBot, tmp_path: Path, kind: str
) -> None:
    """Export buttons' work writes the file off the UI thread; no client code inside."""
    out = tmp_path / f"january.{'zip' if kind == 'csv' else 'pdf'}"
    dashboard.export_to(kind, out)
    qtbot.waitUntil(lambda: dashboard.message.text().startswith("Exported"), timeout=10_000)
    if kind == "csv":
        with zipfile.ZipFile(out) as archive:
            data = b"".join(archive.read(name) for name in archive.namelist())
    else:
        data = out.read_bytes()
        assert data.startswith(b"%PDF")
    assert not any(code.encode() in data for code in CODES)


def test_bad_period_is_explained(dashboard: DashboardPage) -> None:
    """A period that ends before it starts gives a message instead of counts."""
    dashboard.set_period(dt.date(2026, 2, 1), dt.date(2026, 1, 1))
    assert "starts after it ends" in dashboard.message.text()


def test_month_span_handles_year_ends() -> None:
    """This month and last month across a new year."""
    assert month_span(dt.date(2026, 1, 15)) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert month_span(dt.date(2026, 1, 15), 1) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert month_span(dt.date(2024, 12, 3)) == (dt.date(2024, 12, 1), dt.date(2024, 12, 31))


def test_coordinator_pages_name_every_input(dashboard: DashboardPage) -> None:
    """Screen readers get a name for every input on the Stock and Dashboard pages."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QWidget,
    )

    workspace = dashboard.window().workspace  # type: ignore[attr-defined]
    pages = [workspace.page("StockPage"), dashboard]
    missing = []
    for page in pages:
        for widget in page.findChildren(QWidget):
            inputs = QLineEdit | QComboBox | QAbstractSpinBox | QAbstractButton
            if not isinstance(widget, inputs) or widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
                continue
            named = bool(widget.accessibleName()) or (
                isinstance(widget, QAbstractButton) and bool(widget.text())
            )
            owner = widget.parent()
            if not named and not isinstance(owner, QComboBox | QAbstractSpinBox):
                missing.append(f"{type(page).__name__}: {type(widget).__name__}")
    assert not missing


@pytest.fixture
def purged_dashboard(make_window, ui_data_dir: Path, qtbot: QtBot, tmp_path: Path) -> DashboardPage:
    """January's records synced to a real hub, then purged (the hub keeps 30 days)."""
    from outreach.sync.client import sync_now
    from outreach.sync.enrolment import enrol
    from tests.hub.harness import make_hub, serve_in_thread

    store, _ = create_store(ui_data_dir, "cora", "coordinator", PASSPHRASE, kdf=FAST_KDF)
    hub = make_hub(tmp_path / "hub")
    try:
        seed_january(store)
        with serve_in_thread(hub) as url:
            enrol(store, hub.new_enrolment(url).text())
            assert sync_now(store).purged == 12  # up to the first record saved today
    finally:
        store.close()
    window = make_window()
    unlock(qtbot, window)
    page: DashboardPage = window.workspace.show_page("DashboardPage")
    page.set_period(*JANUARY)
    qtbot.waitUntil(lambda: page.counts is not None and page.counts.start == JANUARY[0])
    page.exact.setChecked(True)
    return page


def test_after_a_purge_counts_stay_and_people_counts_say_they_are_not_exact(
    purged_dashboard: DashboardPage, qtbot: QtBot
) -> None:
    """The roll-up's counts are January's as before; the counts of people, which need the
    purged records, are marked † and a note on screen says why and where the full figure is."""
    page = purged_dashboard
    assert headline(page, "kits") == "4"
    assert headline(page, "contacts") == "6"
    page.chart_choice.setCurrentIndex(page.chart_choice.findData("kits_by_product"))
    assert page.chart_values() == [("Nyxoid 1.8 mg nasal spray", 3), ("Prenoxad 2 mg syringe", 1)]
    assert headline(page, "people_reached").endswith(" †")
    assert headline(page, "high_risk_without_kit").endswith("†")
    assert not headline(page, "kits").endswith("†")
    assert page.note.isVisible() and "have left this laptop" in page.note.text()
    assert "hub's report has the full figures" in page.note.text()
    assert page.message.text().startswith(
        "This laptop: counts exact (not for publication) except those marked †, "
    )
    from outreach.reports.csv_export import about_csv

    assert "not_exact,people_reached high_risk_without_kit" in about_csv(page.counts)
    june = dt.date(2026, 6, 1)
    page.set_period(june, dt.date(2026, 6, 30))  # no purged record occurred in June
    qtbot.waitUntil(lambda: page.counts is not None and page.counts.start == june)
    assert not page.note.isVisible() and page.counts.not_exact == ()


def test_whole_service_on_a_laptop_not_enrolled_says_so(
    dashboard: DashboardPage, qtbot: QtBot
) -> None:
    """No hub to ask: a clear message, no traceback, and no figures standing for the service."""
    dashboard.scope_service.setChecked(True)
    qtbot.waitUntil(lambda: dashboard.message.text().startswith("Whole service not shown"))
    assert "not enrolled with a hub" in dashboard.message.text()
    assert "Traceback" not in dashboard.message.text() and dashboard.counts is None
    assert headline(dashboard, "kits") == "–" and dashboard.at_risk.rowCount() == 0
    assert dashboard.chart_values() == []
    dashboard.scope_laptop.setChecked(True)
    qtbot.waitUntil(lambda: dashboard.counts is not None)
    assert headline(dashboard, "kits") == "4"
