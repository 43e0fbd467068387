"""Checkable chips for code lists: one click (or key) per choice, labels from the vocabulary.

Keyboard (STYLE 19): a group is one Tab stop (the chosen chip, else the first); the arrow keys
move between its chips, Home/End to the ends; Space toggles; the digits 1–9 toggle the n-th chip;
Enter moves on to the next step. Choosing in a single-choice group by key moves on by itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QPushButton, QWidget

from outreach.domain.vocab import Vocabulary
from outreach.ui.widgets.keys import ENTER_KEYS, advance_focus, bring_into_view

CHIP_STYLE = (
    "QPushButton { border: 1px solid palette(mid); border-radius: 10px; padding: 3px 10px; }"
    "QPushButton:checked { background: palette(highlight); color: palette(highlighted-text); }"
    "QPushButton:focus { border: 2px solid palette(highlight); }"
)
_DIGITS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)}
_KEYBOARD_FOCUS = frozenset(
    {
        Qt.FocusReason.TabFocusReason,
        Qt.FocusReason.BacktabFocusReason,
        Qt.FocusReason.ShortcutFocusReason,
        Qt.FocusReason.OtherFocusReason,
    }
)


class ChipGroup(QWidget):
    """Chips for one code list; `exclusive=True` makes it a single choice (segmented buttons)."""

    changed = Signal()

    def __init__(
        self,
        vocab: Vocabulary,
        list_name: str,
        *,
        name: str,
        exclusive: bool = False,
        columns: int = 4,
        codes: Iterable[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.list_name = list_name
        self.exclusive = exclusive
        self.columns = columns
        self.setAccessibleName(name)
        self.setStyleSheet(CHIP_STYLE)
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)
        self.buttons: dict[str, QPushButton] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for index, code in enumerate(codes if codes is not None else vocab.codes(list_name)):
            label = vocab.label(list_name, code)
            button = Chip(label, self)
            button.setAccessibleName(f"{name}: {label}")
            if index < len(_DIGITS):
                button.setToolTip(f"Key {index + 1}")
            button.setProperty("code", code)
            self.buttons[code] = button
            self.group.addButton(button)
            layout.addWidget(button, index // columns, index % columns)
        self.setAccessibleDescription(
            "Arrow keys move, Space or the chip's number chooses, Enter goes on"
        )
        self.group.buttonToggled.connect(self._toggled)
        self._set_tab_stop(self.first())

    # -- choosing ------------------------------------------------------------------------------

    def _toggled(self, button: QPushButton, checked: bool) -> None:
        if self.exclusive and checked:
            for other in self.buttons.values():
                if other is not button and other.isChecked():
                    other.blockSignals(True)
                    other.setChecked(False)
                    other.blockSignals(False)
        self._set_tab_stop(button if button.hasFocus() else self._tab_stop_now())
        self.changed.emit()

    def selected(self) -> list[str]:
        return [code for code, button in self.buttons.items() if button.isChecked()]

    def value(self) -> str | None:
        """The single choice of an exclusive group (None if nothing is chosen)."""
        chosen = self.selected()
        return chosen[0] if chosen else None

    def set_selected(self, codes: Iterable[str | None]) -> None:
        wanted = {c for c in codes if c}
        for code, button in self.buttons.items():
            button.blockSignals(True)
            button.setChecked(code in wanted)
            button.blockSignals(False)
        self._set_tab_stop(self._tab_stop_now())
        self.changed.emit()

    def chip(self, code: str) -> QPushButton:
        return self.buttons[code]

    def first(self) -> QPushButton | None:
        return next(iter(self.buttons.values()), None)

    def entry(self) -> QPushButton | None:
        """The chip that Tab lands on: the (first) chosen one, else the first."""
        return self._tab_stop_now()

    # -- keyboard ------------------------------------------------------------------------------

    def _tab_stop_now(self) -> QPushButton | None:
        return next((b for b in self.buttons.values() if b.isChecked()), None) or self.first()

    def _set_tab_stop(self, stop: QPushButton | None) -> None:
        """One Tab stop per group (a roving tab index): the others take focus by click or arrow."""
        for button in self.buttons.values():
            wanted = Qt.FocusPolicy.StrongFocus if button is stop else Qt.FocusPolicy.ClickFocus
            if button.focusPolicy() != wanted:
                button.setFocusPolicy(wanted)

    def _move(self, button: QPushButton, key: int) -> None:
        chips = list(self.buttons.values())
        index = chips.index(button)
        step = {
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_Up: -self.columns,
            Qt.Key.Key_Down: self.columns,
        }
        if key == Qt.Key.Key_Home:
            target = 0
        elif key == Qt.Key.Key_End:
            target = len(chips) - 1
        else:
            target = index + step[Qt.Key(key)]
            if not 0 <= target < len(chips):
                target = index if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) else target % len(chips)
        self._focus(chips[target])

    def _focus(self, button: QPushButton) -> None:
        self._set_tab_stop(button)
        button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _choose(self, button: QPushButton) -> None:
        """Space or a digit: toggle; a choice made in a single-choice group moves on."""
        self._focus(button)
        button.click()
        if self.exclusive and button.isChecked():
            advance_focus(button)

    def chip_focused(self, chip: QPushButton, event: QFocusEvent) -> None:
        if event.reason() in _KEYBOARD_FOCUS:
            bring_into_view(chip)  # never on a click: the form must not move under it

    def chip_key(self, chip: QPushButton, event: QKeyEvent) -> bool:
        """A key pressed on one of the chips; True when the group handled it."""
        key = event.key()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if not plain:
            return False
        if key in (
            Qt.Key.Key_Left,
            Qt.Key.Key_Right,
            Qt.Key.Key_Up,
            Qt.Key.Key_Down,
            Qt.Key.Key_Home,
            Qt.Key.Key_End,
        ):
            self._move(chip, key)
            return True
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._choose(chip)
            return True
        if key in _DIGITS:
            chips = list(self.buttons.values())
            number = _DIGITS[Qt.Key(key)]
            if number <= len(chips):
                self._choose(chips[number - 1])
            return True
        if key in ENTER_KEYS:
            advance_focus(chip)
            return True
        return False


class Chip(QPushButton):
    """One checkable chip of a group. Its keys and focus reach the group through these virtual
    overrides rather than an event filter: a filter sent every event of every chip (paints,
    shows, moves) through Python, a large share of a page switch (docs/benchmarks.md)."""

    def __init__(self, text: str, group: ChipGroup) -> None:
        super().__init__(text)
        self.setCheckable(True)
        self._group = group

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt API
        self._group.chip_focused(self, event)
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if self._group.chip_key(self, event):
            event.accept()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Space:
            event.accept()  # handled on press
        else:
            super().keyReleaseEvent(event)
