"""A whole contact (with a client code) and a kit from a scan, entered with keys only.

Shared by `bench_keys` (prints the count beside the budget) and `tests/ui/test_keyboard.py`
(checks the saved records). Every key goes to whatever widget has the focus, as a person's
keyboard would: nothing is clicked, and no widget is addressed directly. A pack scan is counted
as one press (the scanner's trigger): the scanner types its characters and Enter itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

BUDGET = 25
GS = "\x1d"
SCAN = "0105060097930012" + "17351231" + "10AB12" + GS + "21SN0001"  # Prenoxad, expires 2035
CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier


def wait_until(ready: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        QApplication.processEvents()
        time.sleep(0.005)


@dataclass
class Keyboard:
    """Presses keys on the focused widget and counts them."""

    presses: list[str] = field(default_factory=list)
    scanner_keys: int = 0

    def focused(self) -> QWidget:
        widget = QApplication.focusWidget()
        if widget is None:
            raise AssertionError("nothing has the keyboard focus")
        return widget

    def key(self, key: Qt.Key, modifier: Qt.KeyboardModifier = NONE, what: str = "") -> None:
        QTest.keyClick(self.focused(), key, modifier)
        QApplication.processEvents()
        self.presses.append(what or Qt.Key(key).name.removeprefix("Key_"))

    def type(self, text: str) -> None:
        for char in text:
            QTest.keyClick(self.focused(), char)
            QApplication.processEvents()
            self.presses.append(char)

    def scan(self, text: str) -> None:
        """A keyboard-wedge scanner: its characters, GS as Ctrl+], then Enter; one trigger."""
        for number, part in enumerate(text.split(GS)):
            if number:
                QTest.keyClick(self.focused(), Qt.Key.Key_BracketRight, CTRL)
                self.scanner_keys += 1
            for char in part:
                QTest.keyClick(self.focused(), char)
                self.scanner_keys += 1
        QTest.keyClick(self.focused(), Qt.Key.Key_Return)
        self.scanner_keys += 1
        QApplication.processEvents()
        self.presses.append("scan")


def enter_contact_and_kit(window: QWidget, keys: Keyboard) -> None:
    """From the unlocked window on Record contact (site, area and setting remembered):
    client code, age band, gender, in treatment, injecting, a substance, a risk factor, two
    interventions with naloxone supplied, save; then on the kit form, scan and save."""
    from outreach.ui.pages.issue_kit import IssueKitPage

    ops = window.ops  # type: ignore[attr-defined]
    workspace = window.workspace  # type: ignore[attr-defined]
    contact = workspace.stack.currentWidget()
    wait_until(lambda: contact.client.service_key is not None)
    wait_until(lambda: QApplication.focusWidget() is contact.first_field())
    keys.type("JS")  # initials: the date of birth is next by itself
    keys.type("17021990")  # then sex
    keys.type("F")  # the code is made: on to age band
    keys.type("4")  # 35-44: a single choice moves on to gender
    keys.type("2")  # female → in treatment
    keys.type("1")  # no → injecting
    keys.key(Qt.Key.Key_Space, what="Space")  # current (the first chip) → substances
    keys.type("1")  # heroin
    keys.key(Qt.Key.Key_Tab)  # → risk factors
    keys.type("5")  # uses alone
    keys.key(Qt.Key.Key_Tab)  # → interventions
    keys.type("13")  # harm reduction advice, naloxone supplied
    keys.key(Qt.Key.Key_S, CTRL, "Ctrl+S")
    wait_until(lambda: isinstance(workspace.stack.currentWidget(), IssueKitPage))
    kit = workspace.stack.currentWidget()
    wait_until(lambda: QApplication.focusWidget() is kit.scan)
    keys.scan(SCAN)
    wait_until(lambda: kit.batch.text() == "AB12" or bool(kit.scan_message.text()))
    kit.banner.clear()
    keys.key(Qt.Key.Key_S, CTRL, "Ctrl+S")
    wait_until(lambda: bool(kit.banner.text()) and not ops.busy)
