"""Speed of entry: a typical contact with a naloxone kit in at most 15 key presses/clicks."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from outreach.ui.pages.issue_kit import IssueKitPage
from outreach.ui.pages.record_contact import RecordContactPage
from tests.ui.test_flow import SCAN, type_scan

BUDGET = 15
BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


class Counter:
    """Drives the UI and counts each physical action (a scan, with its Enter suffix, is one)."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.actions: list[str] = []

    def click(self, widget, what: str) -> None:
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
        self.actions.append(f"click {what}")

    def key(self, widget, key, modifier=Qt.KeyboardModifier.NoModifier, what: str = "") -> None:
        self.qtbot.keyClick(widget, key, modifier)
        self.actions.append(f"key {what}")

    def scan(self, widget, text: str) -> None:
        type_scan(self.qtbot, widget, text)
        self.qtbot.keyClick(widget, Qt.Key.Key_Return)
        self.actions.append("scan pack")


def test_typical_contact_with_kit_within_budget(unlocked, qtbot: QtBot) -> None:
    """After unlock, contact + kit are saved with ≤ 15 actions; the count goes in benchmarks."""
    window = unlocked
    do = Counter(qtbot)
    page: RecordContactPage = window.workspace.stack.currentWidget()
    assert isinstance(page, RecordContactPage)  # the first page after unlock
    page.area.setText("LS6")  # remembered from the previous record in real use
    do.click(page.age_band.chip("35_44"), "age band")
    do.click(page.gender.chip("male"), "gender")
    do.click(page.in_treatment.chip("no"), "in treatment")
    do.click(page.substances.chip("heroin"), "heroin")
    do.click(page.substances.chip("crack"), "crack")
    do.click(page.risk_factors.chip("using_alone"), "uses alone")
    do.click(page.interventions.chip("harm_reduction_advice"), "advice")
    do.click(page.interventions.chip("naloxone_supplied"), "naloxone supplied")
    with qtbot.waitSignal(window.ops.changes, timeout=10_000):
        do.key(page, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier, "Ctrl+S")
    kit = window.workspace.stack.currentWidget()
    assert isinstance(kit, IssueKitPage)
    assert kit.scan.hasFocus() or kit.focusWidget() is kit.scan
    do.scan(kit.scan, SCAN)
    with qtbot.waitSignal(window.ops.changes, timeout=10_000) as saved:
        do.key(kit.scan, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier, "Ctrl+S")
    assert saved.args[0].touches("kit_issue")
    count = len(do.actions)
    assert count <= BUDGET, do.actions
    record_count(count, do.actions)


def record_count(count: int, actions: list[str]) -> None:
    """Keep the measured count in docs/benchmarks.md (own section, replaced in place)."""
    section = (
        "## Desktop: actions to record a typical contact with a naloxone kit\n\n"
        f"Measured by `tests/ui/test_key_count.py`: **{count} actions** after unlock "
        f"(budget {BUDGET}): {', '.join(actions)}. Site, area and setting are remembered; "
        "saving a contact with *naloxone supplied* opens the kit form with the client code and "
        "contact carried over; a scan (with the scanner's Enter suffix) counts as one. Adding a "
        "client code costs 11 more keys (2 initials, 8 date digits, sex).\n"
    )
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    pattern = re.compile(r"## Desktop: actions to record.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    BENCHMARKS.write_text(text)
