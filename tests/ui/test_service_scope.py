"""The coordinator's dashboard in "Whole service" scope, against a real hub (issue 13).

Three laptops (worker, pharmacy, coordinator; tests/hub/test_coordinator.py's records) synced to
a hub served by uvicorn on SQLite and PostgreSQL. The coordinator's dashboard shows the
hand-computed service totals, equal to the sum of the three laptops' own counts, for a month, an
FY quarter and a financial year; published ("*") unless exact is ticked; the quarterly return's
PDF (pdftotext) and CSV hold the expected figures and no client code; with the hub gone the kept
copy is shown with its date, and a period never fetched is a clear message, not a blank.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from outreach.reports.commissioner import local_counts
from outreach.reports.countset import CountSet
from outreach.store.session import create_store
from outreach.store.store import Store
from outreach.sync.client import sync_now
from outreach.sync.enrolment import enrol
from outreach.ui.pages.dashboard_page import DashboardPage
from tests.hub.harness import BACKENDS, hub_on, serve_in_thread
from tests.hub.test_coordinator import EXPECTED, EXPECTED_PEOPLE, PERIODS, _code_d, _seed
from tests.reports.conftest import CODES
from tests.ui.conftest import FAST_KDF, PASSPHRASE, unlock

HEADLINES = ("contacts", "kits", "naloxone_uses", "repeat_kits", "people_reached")


def headline(page: DashboardPage, name: str) -> str:
    return page.headline_labels[name].text().split("</b>")[0].rsplit(">", 1)[-1]


def _laptops(url: str, hub: object, data_dir: Path, tmp: Path) -> dict[str, list[CountSet]]:
    """Enrol and seed the three laptops (the coordinator's in the app's data folder), keep each
    laptop's own counts per period, then sync them all."""
    stores: dict[str, Store] = {}
    own: dict[str, list[CountSet]] = {}
    try:
        for role in ("worker", "pharmacy", "coordinator"):
            where = data_dir if role == "coordinator" else tmp / role
            store, _ = create_store(
                where, "cora" if role == "coordinator" else role, role, PASSPHRASE, kdf=FAST_KDF
            )
            stores[role] = store
            enrol(store, hub.new_enrolment(url, label=role, role=role).text())  # type: ignore[attr-defined]
        _seed(stores)
        for period, days in PERIODS.items():
            own[period] = [local_counts(store.conn, *days) for store in stores.values()]
        for store in stores.values():
            sync_now(store)
    finally:
        for store in stores.values():
            store.close()
    return own


def _wait_for_service(page: DashboardPage, qtbot: QtBot, start: dt.date) -> None:
    qtbot.waitUntil(
        lambda: (
            page.counts is not None
            and page.counts.start == start
            and page.service_as_of is not None
        ),
        timeout=20_000,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_whole_service_scope_online_then_offline(
    backend: str, make_window, ui_data_dir: Path, qtbot: QtBot, tmp_path: Path
) -> None:
    with hub_on(backend, tmp_path / "hub") as hub, serve_in_thread(hub) as url:
        own = _laptops(url, hub, ui_data_dir, tmp_path)
        window = make_window()
        unlock(qtbot, window)
        page: DashboardPage = window.workspace.show_page("DashboardPage")
        _check_online(page, qtbot, own, tmp_path)
        _screens_and_keys(window, page, qtbot)
    _check_offline(page, qtbot)


def _check_online(
    page: DashboardPage, qtbot: QtBot, own: dict[str, list[CountSet]], tmp_path: Path
) -> None:
    page.exact.setChecked(True)
    page.scope_service.setChecked(True)
    for period, (start, end) in PERIODS.items():
        page.set_period(start, end)
        _wait_for_service(page, qtbot, start)
        expected = {**EXPECTED[period], "people_reached": EXPECTED_PEOPLE[period]["people_reached"]}
        shown = {name: headline(page, name) for name in expected}
        assert shown == {name: str(n) for name, n in expected.items()}, period
        for name in ("contacts", "kits", "naloxone_uses"):  # the sum of the devices' records
            assert int(headline(page, name)) == sum(int(s.headline(name)) for s in own[period])
        assert "Whole service: counts exact (not for publication)" in page.message.text()
        assert "from the hub, as of" in page.message.text()
        assert page.scope_service.text().startswith("Whole ser&vice (as of ")
    # published by the hub unless exact: FY2026-27's 6 contacts and 4 kits are small numbers
    page.exact.setChecked(False)
    qtbot.waitUntil(lambda: page.counts is not None and page.counts.published, timeout=20_000)
    assert headline(page, "contacts") == "*" and headline(page, "referrals") == "0"
    assert "published (small numbers suppressed)" in page.message.text()
    _check_exports(page, qtbot, tmp_path)
    _check_return(page, qtbot, tmp_path)

    # This laptop: its own store (two contacts of the year at most: a sync purges old ones)
    page.exact.setChecked(True)
    page.set_period(*PERIODS["FY2026-27"])
    _wait_for_service(page, qtbot, PERIODS["FY2026-27"][0])
    assert headline(page, "contacts") == "6"
    page.scope_laptop.setChecked(True)
    qtbot.waitUntil(lambda: page.service_as_of is None and page.counts is not None)
    assert int(headline(page, "contacts")) <= 2
    assert page.message.text().startswith("This laptop: counts exact")
    assert page.scope_service.text().startswith("Whole ser&vice (as of ")


def _check_offline(page: DashboardPage, qtbot: QtBot) -> None:
    """The hub is gone: the kept copy of the year (exact), dated; a period never fetched says
    so and clears the figures (a laptop's numbers never stand for the service's)."""
    assert page.scope_service.isChecked() and not page.exact.isChecked()
    page.exact.setChecked(True)  # asks the hub again, for the exact set
    qtbot.waitUntil(lambda: "hub not reachable" in page.message.text(), timeout=30_000)
    assert headline(page, "contacts") == "6" and headline(page, "kits") == "4"
    today = dt.datetime.now().astimezone()
    assert f"the copy fetched {today:%d %b %Y}" in page.message.text()
    page.set_period(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    qtbot.waitUntil(
        lambda: page.message.text().startswith("Whole service not shown"), timeout=30_000
    )
    assert "no copy of these counts was fetched before" in page.message.text()
    assert "Traceback" not in page.message.text() and page.counts is None
    assert headline(page, "contacts") == "–" and page.at_risk.rowCount() == 0


def _check_exports(page: DashboardPage, qtbot: QtBot, tmp_path: Path) -> None:
    """The service scope's CSV and PDF are what the screen shows, and say they are published."""
    for kind, name in (("pdf", "service.pdf"), ("csv", "service.zip")):
        page.export_to(kind, tmp_path / name)
        qtbot.waitUntil(lambda: page.message.text().startswith("Exported"), timeout=20_000)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "service.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Service: Whole service" in text and "For publication" in text
    assert "1-7 shown as *" in text
    with zipfile.ZipFile(tmp_path / "service.zip") as archive:
        about = archive.read("about.csv").decode()
        headlines = archive.read("headlines.csv").decode()
        data = b"".join(archive.read(n) for n in archive.namelist())
    assert "published,yes" in about and "contacts,Contacts,*" in headlines
    for blob in (data, text.encode()):
        assert not any(code.encode() in blob for code in (*CODES, _code_d()))


def row(text: str, label: str) -> list[str]:
    """The Q1, Q2, Q3 and year-to-date cells of the PDF's row `label`."""
    found = [line.split()[-4:] for line in text.splitlines() if line.strip().startswith(label)]
    assert len(found) == 1, label
    return found[0]


def _check_return(page: DashboardPage, qtbot: QtBot, tmp_path: Path) -> None:
    """Q1-Q3 of FY2026-27, whole service: kits 1 (May), 2 (August), 1 (October), 4 to date."""
    page.set_period(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    qtbot.waitUntil(lambda: page.counts is not None and page.counts.start.month == 10)
    for exact in (False, True):
        page.exact.setChecked(exact)
        out = tmp_path / f"return-{exact}.pdf"
        page.export_return(out)
        qtbot.waitUntil(lambda: page.message.text().startswith("Return written"), timeout=30_000)
        text = subprocess.run(
            ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Take-home naloxone return, FY2026-27 Q3" in text and "Whole service" in text
        if exact:
            assert "NOT for publication" in text
            assert row(text, "All kits") == ["1", "2", "1", "4"]
            assert row(text, "Repeat supply") == ["0", "0", "1", "1"]
            assert row(text, "Used on self") == ["0", "0", "1", "1"]
        else:
            assert "For publication" in text
            assert row(text, "All kits") == ["*", "*", "*", "*"]
            assert row(text, "Repeat supply") == ["0", "0", "*", "*"]
        assert "Not recorded: a kit issue records no gender" in text
        csv_out = tmp_path / f"return-{exact}.csv"
        page.export_return(csv_out)
        written = f"Return written to {csv_out}."
        qtbot.waitUntil(lambda w=written: page.message.text() == w, timeout=30_000)  # type: ignore[misc]
        lines = csv_out.read_text().splitlines()
        assert lines[0] == "table,category,label,q1,q2,q3,year_to_date,status"
        status = "exact (not for publication)" if exact else '"Published with disclosure'
        assert any(
            line.startswith(f"total,,All kits,{'1,2,1,4' if exact else '*,*,*,*'},{status}")
            for line in lines
        )
        assert "by_gender,,a kit issue records no gender,not recorded" in csv_out.read_text()
        for data in (out.read_bytes(), text.encode(), csv_out.read_bytes()):
            assert not any(code.encode() in data for code in (*CODES, _code_d()))
    page.exact.setChecked(False)


def _screens_and_keys(window: QWidget, page: DashboardPage, qtbot: QtBot) -> None:
    """Both scopes at 1366x768 with every control on screen; the scope switch is reachable by
    keyboard (arrows between the two); OUTREACH_SCREENSHOT_DIR=docs/screenshots saves pictures."""
    from PySide6.QtCore import QPoint, QRect

    from outreach.ui.main_window import ASSUMED_FRAME, fitted_geometry

    out = os.environ.get("OUTREACH_SCREENSHOT_DIR")
    page.scope_service.setChecked(True)
    page.set_period(*PERIODS["FY2026-27"])
    _wait_for_service(page, qtbot, PERIODS["FY2026-27"][0])
    page.exact.setChecked(False)
    qtbot.waitUntil(lambda: page.counts is not None and page.counts.published, timeout=20_000)
    page.chart_choice.setCurrentIndex(page.chart_choice.findData("kits_by_site"))
    for size in ("", "-1366x768"):
        if size:
            window.setGeometry(fitted_geometry(QRect(0, 0, 1366, 768), ASSUMED_FRAME))
        else:
            window.resize(1100, 760)  # the size the app opens at on a large screen
        for scope in (page.scope_service, page.scope_laptop):
            checked = page.scope_service if page.scope_service.isChecked() else page.scope_laptop
            assert checked.focusPolicy() & Qt.FocusPolicy.TabFocus
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow)
            checked.setFocus()  # Tab lands on the checked one; arrows move and choose
            qtbot.waitUntil(checked.hasFocus)
            key = Qt.Key.Key_Right if scope is page.scope_service else Qt.Key.Key_Left
            qtbot.keyClick(checked, key)
            assert scope.isChecked() and window.focusWidget() is scope
            qtbot.waitUntil(
                lambda s=scope: (
                    "as of" in page.message.text()
                    or s is page.scope_laptop
                    and page.message.text().startswith("This laptop")
                ),
                timeout=20_000,
            )  # type: ignore[misc]
            qtbot.wait(200)
            for widget in (
                page.scope_service,
                page.exact,
                page.return_button,
                page.export_pdf_button,
            ):
                corner = widget.mapTo(window, QPoint(widget.width(), widget.height()))
                assert widget.isVisible() and window.rect().contains(corner), widget.text()
            if out:
                name = "service" if scope is page.scope_service else "laptop"
                window.grab().save(str(Path(out) / f"dashboard-{name}{size}.png"))
    page.scope_service.setChecked(True)
    _wait_for_service(page, qtbot, PERIODS["FY2026-27"][0])
