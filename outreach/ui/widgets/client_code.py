"""Client code helper: initials + date of birth + sex → the pseudonymous code, at once.

The typed values are cleared as soon as the code is made; only the code is kept in the form.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QWidget

from outreach.domain.client_code import (
    format_client_code,
    make_client_code,
    normalise_client_code,
)
from outreach.errors import InvalidRecord

log = logging.getLogger(__name__)


def parse_dob(text: str) -> dt.date | None:
    """DD/MM/YYYY (from the input mask); None while incomplete or impossible."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) != 8:
        return None
    try:
        return dt.date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        return None


class ClientCodeBox(QWidget):
    code_changed = Signal(object)  # canonical code or None
    completed = Signal()  # a code was made or typed: the form moves on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service_key: bytes | None = None
        self.initials = QLineEdit()
        self.initials.setAccessibleName("Client initials (not kept)")
        self.initials.setPlaceholderText("Initials")
        self.initials.setMaxLength(2)
        self.initials.setMaximumWidth(90)
        self.initials.setValidator(QRegularExpressionValidator(QRegularExpression(r"\p{L}{0,2}")))
        self.dob = QLineEdit()
        self.dob.setAccessibleName("Client date of birth (not kept)")
        self.dob.setInputMask("00/00/0000;_")
        self.dob.setMaximumWidth(120)
        self.sex = QLineEdit()
        self.sex.setAccessibleName("Client sex, M F or X (not kept)")
        self.sex.setPlaceholderText("M/F/X")
        self.sex.setMaxLength(1)
        self.sex.setMaximumWidth(60)
        self.sex.setValidator(QRegularExpressionValidator(QRegularExpression("[MFXmfx]")))
        self.code = QLineEdit()
        self.code.setAccessibleName("Client code")
        self.code.setPlaceholderText("or type a known code")
        self.message = QLabel()
        self.message.setAccessibleName("Client code message")
        # Its text never widens the row (nothing on the form may move while it is filled).
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.initials, self.dob, self.sex):
            layout.addWidget(widget)
            widget.textEdited.connect(self._maybe_make)
        layout.addWidget(QLabel("→"))
        layout.addWidget(self.code, 1)
        layout.addWidget(self.message, 1)
        self.code.editingFinished.connect(self._typed_code)
        self.code.returnPressed.connect(self._code_entered)
        # Each part moves on when it is full: initials (2) → date of birth (8 digits) → sex.
        self.initials.textEdited.connect(lambda text: self._next_if(len(text) == 2, self.dob))
        self.dob.textEdited.connect(
            lambda _: self._next_if(parse_dob(self.dob.text()) is not None, self.sex)
        )
        self._current: str | None = None

    @staticmethod
    def _next_if(full: bool, field: QLineEdit) -> None:
        if full:
            field.setFocus()
            if field.inputMask():
                field.setCursorPosition(0)

    def _code_entered(self) -> None:
        """Enter on a typed code: read it now (Qt sends `returnPressed` before
        `editingFinished`), then move on if it is a code."""
        self._typed_code()
        if self._current is not None:
            self.completed.emit()

    def _maybe_make(self) -> None:
        self.message.clear()
        initials, sex = self.initials.text(), self.sex.text()
        dob = parse_dob(self.dob.text())
        if len(initials) < 2 or not sex or dob is None:
            if len("".join(c for c in self.dob.text() if c.isdigit())) == 8 and dob is None:
                self.message.setText("That date does not exist")
            return
        if self.service_key is None:
            self.message.setText("Service key not loaded yet")
            return
        try:
            code = make_client_code(self.service_key, initials, dob, sex)
        except InvalidRecord as exc:
            self.message.setText(exc.message)
            return
        self.clear_inputs()  # the typed values are never kept
        self._set(code)
        self.completed.emit()

    def clear_inputs(self) -> None:
        for widget in (self.initials, self.dob, self.sex):
            widget.clear()

    def _typed_code(self) -> None:
        text = self.code.text().strip()
        if not text:
            self._set(None)
            return
        try:
            self._set(normalise_client_code(text))
        except InvalidRecord as exc:
            self.message.setText(exc.message)
            self._current = None
            self.code_changed.emit(None)

    def _set(self, code: str | None) -> None:
        self.code.setText(format_client_code(code) if code else "")
        if code != self._current:
            self._current = code
            self.code_changed.emit(code)

    def value(self) -> str | None:
        return self._current

    def set_code(self, code: str | None) -> None:
        """Put back a code made earlier (a form kept over a lock)."""
        self.clear_inputs()
        self.message.clear()
        self._set(code)

    def reset(self) -> None:
        self.clear_inputs()
        self.message.clear()
        self._set(None)
