"""The start-up timer that reads Qt's log from outside (bench and dist-check share it)."""

from __future__ import annotations

import sys

from bench.first_window import PAINTED, WINDOW_UP, launch, offscreen_env

WINDOW = (
    "import sys\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv[:1])\n"
    "window = QMainWindow()\n"
    "window.show()\n"
    "sys.exit(app.exec())\n"
)


def test_a_window_is_seen_up_then_painted_and_is_stopped() -> None:
    """A plain Qt window: up, then painted, both timed from spawn; it is stopped afterwards."""
    started = launch([sys.executable, "-c", WINDOW], offscreen_env(), markers=(WINDOW_UP, PAINTED))
    assert set(started.seen) == {WINDOW_UP, PAINTED}
    assert 0 < started.seen[WINDOW_UP] <= started.seen[PAINTED] < 30
    assert started.exit_code is None


def test_a_process_that_shows_no_window_reports_its_exit() -> None:
    """A process that exits without a window: nothing seen, its exit code and output kept."""
    code = "import sys; sys.stderr.write('no window here\\n'); sys.exit(3)"
    started = launch([sys.executable, "-c", code], offscreen_env(), markers=(PAINTED,))
    assert started.seen == {}
    assert started.exit_code == 3
    assert "no window here" in started.output
