"""Auto-lock after a period without keyboard or mouse input (DESIGN §4)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QWindow

from outreach import config

ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleWatcher(QObject):
    """Any input restarts the timer; `idle` fires when it runs out.

    Input from the keyboard, mouse or touch reaches the window (the `QWindow`) first, which hands
    it to the widget; so the filter sits on the windows (the one in focus, and every top-level
    window there is when watching starts), where it sees a few events per key or click. An
    app-wide filter saw every event of every widget (each chip's paint, show, move), each one a
    call into Python, ~25 % of a page switch (docs/benchmarks.md, issue 16).

    It filters only while started (a session is unlocked), as there is nothing to lock before,
    and from the next turn of the event loop: PySide's first events make it create the Python
    types and enums of whole Qt modules (~30 ms), which a first paint should not wait for.
    """

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self._filtering: QGuiApplication | None = None
        self.set_minutes(minutes)

    def set_minutes(self, minutes: float) -> None:
        """Settings are checked on load (config.AUTO_LOCK_BOUNDS); the cap here only keeps a
        caller's value from overflowing Qt's int milliseconds. Fractions are for tests."""
        ceiling = config.AUTO_LOCK_BOUNDS[1] * 60_000
        self._timer.setInterval(min(ceiling, max(1, int(minutes * 60_000))))

    def start(self) -> None:
        """Run the timer now; filter input from the next turn of the event loop, so that the
        one-off cost above comes after the workspace has painted, not before."""
        self._timer.start()
        if self._filtering is None:
            QTimer.singleShot(0, self, self._watch)

    def _watch(self) -> None:
        app = QGuiApplication.instance()
        if self._filtering is None and self._timer.isActive() and isinstance(app, QGuiApplication):
            for window in QGuiApplication.topLevelWindows():
                window.installEventFilter(self)
            app.focusWindowChanged.connect(self._attach)
            self._filtering = app

    def _attach(self, window: QWindow | None) -> None:
        """A window that takes the focus (a dialog opening) is watched too."""
        if window is not None:
            window.installEventFilter(self)

    def stop(self) -> None:
        self._timer.stop()
        if self._filtering is not None:
            self._filtering.focusWindowChanged.disconnect(self._attach)
            for window in QGuiApplication.topLevelWindows():
                window.removeEventFilter(self)
            self._filtering = None

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in ACTIVITY and self._timer.isActive():
            self._timer.start()
        return False
