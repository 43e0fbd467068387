"""Auto-lock after a period without keyboard or mouse input (DESIGN §4)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

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
    """App-wide event filter: any input restarts the timer; `idle` fires when it runs out.

    It filters only while started (a session is unlocked), as there is nothing to lock before.
    A Python app-wide filter is not free: PySide wraps every object that gets an event, and its
    first events make it create the Python types and enums of whole Qt modules (~30 ms), which
    the unlock screen's first paint would otherwise wait for (start-up budget, DESIGN §7).
    """

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self._filtering: QCoreApplication | None = None
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
        app = QCoreApplication.instance()
        if self._filtering is None and self._timer.isActive() and app is not None:
            app.installEventFilter(self)
            self._filtering = app

    def stop(self) -> None:
        self._timer.stop()
        if self._filtering is not None:
            self._filtering.removeEventFilter(self)
            self._filtering = None

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in ACTIVITY and self._timer.isActive():
            self._timer.start()
        return False
