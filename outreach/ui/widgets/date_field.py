"""One date format everywhere: shown as `12 Nov 2026`, typed as dd/mm/yyyy (or as shown).

A plain line edit rather than a QDateEdit: typing works wherever the cursor is (a QDateEdit
ignores keys until a section is selected, and its month section wanted letters), and a date can
be empty, so a form can insist that a date is scanned or typed instead of defaulting silently.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from outreach.ui.dates import MONTHS, format_date

_MONTHS = {name.lower(): number for number, name in enumerate(MONTHS, 1)}
_NUMERIC = re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{2}|\d{4})$")
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{4}|\d{2})$")
_WORDS = re.compile(r"^(\d{1,2})\s*([A-Za-z]{3})[a-z]*\s*(\d{2}|\d{4})$")


def show_date(day: dt.date) -> str:
    """The one display format, `12 Nov 2026` (`outreach.ui.dates`, its one home)."""
    return format_date(day)


def parse_date(text: str) -> dt.date | None:
    """dd/mm/yyyy (also with - . or space, a two-digit year, or digits only) or `12 Nov 2026`;
    None when empty; ValueError with a plain reason when it is not a real date."""
    text = text.strip()
    if not text:
        return None
    match = _NUMERIC.match(text) or _COMPACT.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    elif words := _WORDS.match(text):
        month_name = words.group(2).lower()
        if month_name not in _MONTHS:
            raise ValueError(f"'{words.group(2)}' is not a month")
        day, month, year = int(words.group(1)), _MONTHS[month_name], int(words.group(3))
    else:
        raise ValueError("type the date as dd/mm/yyyy")
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("that date does not exist") from None


class DateField(QLineEdit):
    """A date typed or filled in; `date()` is None while empty or not a date."""

    date_changed = Signal(object)  # dt.date | None

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setPlaceholderText("dd/mm/yyyy")
        self.setMaxLength(20)
        self._date: dt.date | None = None
        self.problem = ""
        self.textChanged.connect(self._read)
        self.editingFinished.connect(self._tidy)

    def date(self) -> dt.date | None:
        return self._date

    def set_date(self, day: dt.date | None) -> None:
        self.setText(show_date(day) if day else "")

    def _read(self, text: str) -> None:
        try:
            day = parse_date(text)
            self.problem = ""
        except ValueError as exc:
            day, self.problem = None, str(exc)
        if day != self._date:
            self._date = day
            self.date_changed.emit(day)

    def _tidy(self) -> None:
        """Once typed, show it in the display format, so what was understood can be checked."""
        if self._date is not None and self.text() != show_date(self._date):
            self.setText(show_date(self._date))
