"""The one error presenter: a plain explanation, what to do, and "Copy details" for support."""

from __future__ import annotations

import traceback

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from outreach import __version__
from outreach.ui.messages import explain


def details_for(error: BaseException) -> str:
    """Type, message and traceback: no record content is ever part of an error message."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return f"Outreach {__version__}\n{''.join(lines)}"


class ErrorDialog(QDialog):
    def __init__(self, error: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = explain(error)
        self.setWindowTitle(info.title)
        self.setAccessibleName(f"Error: {info.title}")
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{info.title}</b>")
        self.message = QLabel(info.message)
        self.message.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(self.message)
        if info.action:
            action = QLabel(info.action)
            action.setWordWrap(True)
            layout.addWidget(action)
        self.details = QPlainTextEdit(details_for(error))
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        self.details.setVisible(False)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy details")
        self.copy_button.setAccessibleName("Copy details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        show = QPushButton("Show &details")
        show.setCheckable(True)
        show.toggled.connect(self.details.setVisible)
        buttons.addButton(show, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


_OPEN: set[ErrorDialog] = set()  # parentless dialogs must outlive this call


def show_error(error: BaseException, parent: QWidget | None = None) -> ErrorDialog:
    """Non-blocking (window-modal) so that a worker result can never deadlock the UI."""
    dialog = ErrorDialog(error, parent)
    if parent is None:
        _OPEN.add(dialog)
        dialog.finished.connect(lambda _: _OPEN.discard(dialog))
    dialog.setModal(True)
    dialog.open()
    return dialog
