"""One line (or two) that tells the person what happened, in a space that is always reserved.

Warnings and errors must not look like confirmations (STYLE 19): each kind has its own colour,
its own icon and a spoken prefix ("Warning:", "Error:"), so the difference survives colour
blindness and screen readers. The bar keeps its height whether it shows a message or not, so
nothing below it moves when a message comes or goes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QWidget,
)

from outreach.errors import InvalidRecord

UNDO_SECONDS = 10


class Kind(enum.Enum):
    NONE = "none"
    INFO = "info"
    SAVED = "saved"
    WARNING = "warning"
    ERROR = "error"


# (background, border, spoken prefix, standard icon). The icon is named, not looked up: the first
# use of `QStyle.StandardPixmap` makes PySide build all of QStyle's enums (~60 M instructions),
# which the first paint should not wait for; `warm_up` does it once the window is up.
_LOOK: dict[Kind, tuple[str, str, str, str | None]] = {
    Kind.NONE: ("transparent", "transparent", "", None),
    Kind.INFO: ("#e8f0fe", "#5b7fc7", "", "SP_MessageBoxInformation"),
    Kind.SAVED: ("#e6f4ea", "#2e7d32", "Done: ", "SP_DialogApplyButton"),
    Kind.WARNING: ("#fff4e0", "#b26a00", "Warning: ", "SP_MessageBoxWarning"),
    Kind.ERROR: ("#fdecea", "#c62828", "Error: ", "SP_MessageBoxCritical"),
}
ICON_SIZE = 20


def warm_up() -> None:
    """Build QStyle's enums now, in idle time after the first paint, not at the first message."""
    QStyle.StandardPixmap.SP_MessageBoxInformation  # noqa: B018 - the access is the point


class MessageBar(QFrame):
    """A message of one kind, with an optional action button (Undo), at a fixed height."""

    action_requested = Signal()

    def __init__(self, name: str = "Message", *, lines: int = 2, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setAccessibleName(name)
        self.kind = Kind.NONE
        self.icon = QLabel()
        self.icon.setFixedSize(ICON_SIZE, ICON_SIZE)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAccessibleName(name)
        # Long text never widens the form: it wraps inside the width it is given.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.action = QPushButton("&Undo")
        self.action.setAccessibleName("Undo")
        keep = self.action.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # the text beside it keeps its width
        self.action.setSizePolicy(keep)
        self.action.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        height = self.fontMetrics().lineSpacing() * lines + 10
        self.setFixedHeight(max(height, self.action.sizeHint().height() + 6))
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._action_expired)
        self.action.clicked.connect(self._act)
        self._on_action: Callable[[], None] | None = None
        self._paint(Kind.NONE)

    # -- showing -------------------------------------------------------------------------------

    def show_message(self, kind: Kind, text: str) -> None:
        """Show `text` as `kind`; any earlier action button goes away."""
        self._set_action(None, "", 0)
        self._paint(kind)
        self.label.setText(text)
        prefix = _LOOK[kind][2]
        self.setAccessibleDescription(f"{prefix}{text}")
        self.label.setAccessibleDescription(f"{prefix}{text}")
        self.setToolTip(text)

    def info(self, text: str) -> None:
        self.show_message(Kind.INFO, text)

    def warning(self, text: str) -> None:
        self.show_message(Kind.WARNING, text)

    def error(self, text: str) -> None:
        self.show_message(Kind.ERROR, text)

    def saved(
        self,
        text: str,
        on_action: Callable[[], None] | None = None,
        action_text: str = "&Undo",
        seconds: int = UNDO_SECONDS,
    ) -> None:
        """A confirmation, with an action (Undo) offered for `seconds`."""
        self.show_message(Kind.SAVED, text)
        self._set_action(on_action, action_text, seconds)

    def clear(self) -> None:
        self.show_message(Kind.NONE, "")

    def text(self) -> str:
        return self.label.text()

    # -- internals -----------------------------------------------------------------------------

    def _paint(self, kind: Kind) -> None:
        self.kind = kind
        background, border, _, pixmap = _LOOK[kind]
        self.setStyleSheet(
            f"#MessageBar {{ background: {background}; border: 1px solid {border};"
            " border-radius: 4px; }"
        )
        if pixmap is None:
            self.icon.clear()
        else:
            icon: QIcon = self.style().standardIcon(getattr(QStyle.StandardPixmap, pixmap))
            self.icon.setPixmap(icon.pixmap(ICON_SIZE, ICON_SIZE))

    def _set_action(self, on_action: Callable[[], None] | None, text: str, seconds: int) -> None:
        self._on_action = on_action
        self.timer.stop()
        if on_action is None:
            self.action.hide()
            return
        self.action.setText(text)
        self.action.setAccessibleName(text.replace("&", ""))
        self.action.show()
        self.timer.start(seconds * 1000)

    def _action_expired(self) -> None:
        self.action.hide()
        self._on_action = None

    def _act(self) -> None:
        self.action.hide()
        on_action, self._on_action = self._on_action, None
        self.timer.stop()
        if on_action is not None:
            self.action_requested.emit()
            on_action()


def refusal(error: InvalidRecord) -> str:
    """Why a form was not saved, naming the field in words (never a code or record id)."""
    field = f" ({error.field.replace('_', ' ')})" if error.field else ""
    return f"Not saved{field}: {error.message}"
