"""Guards against a broken Qt binding version."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot


def test_void_qt_calls_keep_none_alive(qtbot: QtBot) -> None:
    """Calling a void Qt method does not drop references to None (PySide6 6.12.0 on 3.11 did)."""
    field = QLineEdit()
    qtbot.addWidget(field)
    before = sys.getrefcount(None)
    for _ in range(2000):
        field.setText("x")
    assert sys.getrefcount(None) > before - 100
