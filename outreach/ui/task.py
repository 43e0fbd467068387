"""Qt-free progress and cancel for long jobs (STYLE 4): workers report, the UI polls."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressState:
    done: int
    total: int | None
    text: str


class Task:
    """Handed to a job: `report(...)` from any thread, `cancel` is a plain `threading.Event`."""

    def __init__(self, label: str = "") -> None:
        self.label = label
        self.cancel = threading.Event()
        self._lock = threading.Lock()
        self._state = ProgressState(0, None, label)

    def report(self, done: int = 0, total: int | None = None, text: str = "", **_: object) -> None:
        """Progress callback; extra keywords from core callbacks are ignored."""
        with self._lock:
            self._state = ProgressState(int(done), total, text or self.label)

    def __call__(self, *args: object, **kwargs: object) -> None:
        """Lets the task itself be passed as a core `progress=` callback."""
        done = args[0] if args else kwargs.get("done", 0)
        total = args[1] if len(args) > 1 else kwargs.get("total")
        text = args[2] if len(args) > 2 else kwargs.get("text", "")
        self.report(
            int(done) if isinstance(done, int) else 0,
            total if isinstance(total, int) else None,
            str(text or ""),
        )

    def state(self) -> ProgressState:
        with self._lock:
            return self._state
