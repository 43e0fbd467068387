"""Keyboard steps shared by the forms: move on to the next step as Tab would."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLineEdit, QScrollArea, QWidget

ENTER_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


def advance_focus(widget: QWidget, *, back: bool = False) -> None:
    """Move focus as Tab (or Shift+Tab) from `widget` would; a scroll area brings it into view."""
    key = Qt.Key.Key_Backtab if back else Qt.Key.Key_Tab
    modifier = Qt.KeyboardModifier.ShiftModifier if back else Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key, modifier))


def enter_advances(*fields: QLineEdit) -> None:
    """Enter in these fields moves to the next step instead of doing nothing (or saving)."""
    for field in fields:
        field.returnPressed.connect(lambda field=field: advance_focus(field))


def bring_into_view(widget: QWidget) -> None:
    """Scroll the nearest scroll area so that `widget` is visible (focus moved by keys)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            if isinstance(parent, QScrollArea):
                parent.ensureWidgetVisible(widget, 10, 10)
            return
        parent = parent.parentWidget()
