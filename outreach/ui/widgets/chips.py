"""Checkable chips for code lists: one click (or Space) per choice, labels from the vocabulary."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QPushButton, QWidget

from outreach.domain.vocab import Vocabulary

CHIP_STYLE = (
    "QPushButton { border: 1px solid palette(mid); border-radius: 10px; padding: 3px 10px; }"
    "QPushButton:checked { background: palette(highlight); color: palette(highlighted-text); }"
    "QPushButton:focus { border: 2px solid palette(highlight); }"
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
            button = QPushButton(label)
            button.setCheckable(True)
            button.setAccessibleName(f"{name}: {label}")
            button.setProperty("code", code)
            self.buttons[code] = button
            self.group.addButton(button)
            layout.addWidget(button, index // columns, index % columns)
        self.group.buttonToggled.connect(self._toggled)

    def _toggled(self, button: QPushButton, checked: bool) -> None:
        if self.exclusive and checked:
            for other in self.buttons.values():
                if other is not button and other.isChecked():
                    other.blockSignals(True)
                    other.setChecked(False)
                    other.blockSignals(False)
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
        self.changed.emit()

    def chip(self, code: str) -> QPushButton:
        return self.buttons[code]

    def first(self) -> QPushButton | None:
        return next(iter(self.buttons.values()), None)
