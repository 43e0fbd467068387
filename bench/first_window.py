"""Time a GUI process from spawn to its first window, from outside: no hook in the app.

Qt says when, through logging categories switched on with QT_LOGGING_RULES and read on stderr:
`qt.qpa.backingstore` logs once a top-level window gets its backing store (the window is up and
about to paint), `qt.widgets.painting` logs "Flushing" when a painted frame goes to the window
(the first paint). Used by the start-up bench and by `scripts/dist_check.py` (frozen build).
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

WINDOW_UP = "qt.qpa.backingstore"
PAINTED = "qt.widgets.painting: Flushing"
_RULES = {WINDOW_UP: "qt.qpa.backingstore=true", PAINTED: "qt.widgets.painting.info=true"}


@dataclass
class Launch:
    seen: dict[str, float]  # marker -> seconds from spawn to its first line
    exit_code: int | None  # None: still running when it was stopped
    output: str  # everything it wrote to stderr


def launch(
    cmd: Sequence[str | Path],
    env: Mapping[str, str],
    *,
    markers: Sequence[str] = (WINDOW_UP,),
    linger: float = 0.0,
    limit: float = 60.0,
) -> Launch:
    """Start `cmd`, note when each marker first shows, let it run `linger` s more, stop it."""
    rules = ";".join(_RULES[m] for m in markers)
    env = dict(env, QT_LOGGING_RULES=rules)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(c) for c in cmd], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    stderr = proc.stderr
    assert stderr is not None

    def pump() -> None:
        for line in stderr:
            lines.put((time.perf_counter(), line))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    seen: dict[str, float] = {}
    text: list[str] = []
    deadline = started + limit
    try:
        while len(seen) < len(markers) and time.perf_counter() < deadline:
            try:
                at, line = lines.get(timeout=0.05)
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            text.append(line)
            for marker in markers:
                if marker not in seen and marker in line:
                    seen[marker] = at - started
        end = time.perf_counter() + linger
        while time.perf_counter() < end and proc.poll() is None:
            time.sleep(0.05)
        code = proc.poll()
    finally:
        _stop(proc)
    reader.join(timeout=5)
    while not lines.empty():
        text.append(lines.get()[1])
    return Launch(seen, code, "".join(text))


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def offscreen_env(**extra: str) -> dict[str, str]:
    """This environment without our or Qt's settings, offscreen, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "QT_"))}
    return env | {"QT_QPA_PLATFORM": "offscreen"} | extra
