"""Nothing on a form moves while it is filled: every chip keeps its place in the window."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from outreach.records.client_summary import ClientSummary, StickyFactor
from outreach.records.service_history import merge_history
from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from outreach.ui.widgets.chips import ChipGroup
from tests.ui.test_flow import SCAN, type_scan
from tests.ui.test_forms import EXPIRED

LEFT = Qt.MouseButton.LeftButton
SMALL_SCREEN = (1366, 768)
LONG = "A message long enough to wrap over more than one line on a narrow form. " * 4


def chip_places(page: QWidget) -> dict[str, QRect]:
    """Every chip's rectangle in window coordinates (where a click lands)."""
    QApplication.processEvents()
    window = page.window()
    return {
        f"{group.accessibleName()}:{code}": QRect(chip.mapTo(window, QPoint(0, 0)), chip.size())
        for group in page.findChildren(ChipGroup)
        for code, chip in group.buttons.items()
    }


def moved(before: dict[str, QRect], page: QWidget) -> list[str]:
    after = chip_places(page)
    return [name for name, place in before.items() if after[name] != place]


def test_record_contact_chips_stay_put(unlocked, qtbot: QtBot) -> None:
    """Risk changes, the undo banner and the client history panel move no chip on the form."""
    window = unlocked
    window.resize(*SMALL_SCREEN)
    page: RecordContactPage = window.workspace.show_page("RecordContactPage")
    qtbot.waitUntil(lambda: page.client.service_key is not None)
    before = chip_places(page)
    assert len(before) > 40

    # Risk from low to very high, with a reason per factor, and back.
    for code in ("previous_overdose", "prison_release_2w", "using_alone", "homeless"):
        qtbot.mouseClick(page.risk_factors.chip(code), LEFT)
        assert not moved(before, page), code
    for code in ("heroin", "benzodiazepines", "synthetic_opioids"):
        qtbot.mouseClick(page.substances.chip(code), LEFT)
    qtbot.mouseClick(page.injecting.chip("current"), LEFT)
    qtbot.mouseClick(page.age_band.chip("55_64"), LEFT)
    assert "VERY HIGH" in page.risk.text()
    assert not moved(before, page)
    for code in ("previous_overdose", "prison_release_2w", "using_alone", "homeless"):
        qtbot.mouseClick(page.risk_factors.chip(code), LEFT)
    assert not moved(before, page)

    # The banner: a confirmation with Undo, Undo timing out, a long error, nothing.
    page.banner.saved("Saved contact at 10:00.", lambda: None, seconds=0)
    assert not moved(before, page)
    qtbot.waitUntil(lambda: page.banner.action.isHidden())
    assert not moved(before, page)
    page.banner.error(LONG)
    assert not moved(before, page)
    page.banner.clear()
    assert not moved(before, page)

    # The client history panel: a new code, a long summary of a repeat client, a wrong code.
    qtbot.keyClicks(page.client.initials, "AB")
    qtbot.keyClicks(page.client.dob, "01011980")
    qtbot.keyClicks(page.client.sex, "M")
    code = page.client.value()
    assert code is not None
    qtbot.waitUntil(lambda: "New client code" in page.client_history.text())
    assert not moved(before, page)
    today = dt.date(2026, 12, 2)
    summary = ClientSummary(
        client_code=code,
        first_seen=dt.date(2024, 1, 5),
        contacts_total=123,
        contacts_12m=40,
        last_contact=dt.date(2026, 11, 12),
        last_contact_area="LS6",
        kits_total=9,
        last_kit=dt.date(2026, 10, 3),
        last_kit_product="prenoxad_2mg_syringe",
        last_kit_expiry=dt.date(2028, 3, 31),
        held_kit_expiries=(dt.date(2028, 3, 31),),
        risk_level="very_high",
        sticky=tuple(
            StickyFactor(c, dt.date(2026, 11, 30))
            for c in ("previous_overdose", "prison_release_2w", "hospital_discharge_4w")
        ),
        last_naloxone_use=dt.date(2026, 9, 1),
        open_referrals=("R-AAAA-BBBB", "R-CCCC-DDDD"),
    )
    as_of = dt.datetime(2026, 12, 1, 14, 2, tzinfo=dt.UTC)
    page.show_history(merge_history(code, summary, [], today, as_of=as_of), today)
    assert "Seen 123 times by the service" in page.client_history.text()
    assert len(page.risk_factors.selected()) == 3  # carried, marked: no chip moved
    assert not moved(before, page)
    page.client.reset()
    qtbot.keyClicks(page.client.code, "not a code")
    qtbot.keyClick(page.client.code, Qt.Key.Key_Return)
    assert page.client.message.text()
    assert not moved(before, page)


def test_issue_kit_chips_stay_put(unlocked, qtbot: QtBot) -> None:
    """Scan messages (read, expired, repeat serial) and the use report move no chip above it."""
    window = unlocked
    window.resize(*SMALL_SCREEN)
    page: IssueKitPage = window.workspace.show_page("IssueKitPage")
    hidden_report = {f"{g.accessibleName()}:" for g in page.use.findChildren(ChipGroup)}
    before = {
        name: place
        for name, place in chip_places(page).items()
        if not name.startswith(tuple(hidden_report))
    }
    type_scan(qtbot, page.scan, EXPIRED)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert "Expired" in page.scan_message.text()
    assert not moved(before, page)
    page.scan.clear()
    type_scan(qtbot, page.scan, SCAN)
    qtbot.keyClick(page.scan, Qt.Key.Key_Return)
    assert "Read:" in page.scan_message.text()
    assert not moved(before, page)
    page.scan_message.warning(LONG)
    page.banner.error(LONG)
    assert not moved(before, page)
    page.banner.clear()
    qtbot.mouseClick(page.supply.chip("repeat"), LEFT)
    qtbot.mouseClick(page.reason.chip("used_on_self"), LEFT)
    assert page.use.isVisibleTo(page)
    assert not moved(before, page)
