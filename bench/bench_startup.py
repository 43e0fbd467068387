"""Window painted after launch: the app (store unlocked, workspace shown) vs a bare QMainWindow.

Each run is a fresh offscreen process; the time runs from spawning it to its first paint of the
window. The store is made beforehand with a cheap KDF so that the figure is start-up, not the
(deliberately slow, calibrated) passphrase derivation, which `bench_store` measures on its own.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
BUDGET_RATIO = 2.0

CHILD_COMMON = """
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def __init__(self, ready):
        super().__init__()
        self.ready = ready
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and self.ready():
            sys.stdout.write("painted\\n"); sys.stdout.flush()
            os._exit(0)
        return False
app = QApplication([])
"""

BARE = (
    CHILD_COMMON
    + """
window = QMainWindow(); window.resize(1100, 760)
watch = FirstPaint(lambda: True); window.installEventFilter(watch)
window.show(); app.exec()
"""
)

APP = (
    CHILD_COMMON
    + """
from pathlib import Path
from outreach import paths
from outreach.store.session import unlock_store
from outreach.ui.main_window import MainWindow
data = Path(sys.argv[1]); paths.set_data_dir(data)
window = MainWindow(data)
watch = FirstPaint(lambda: window.workspace is not None)
window.installEventFilter(watch)
window.unlocked.connect(window.update)
window.show()
window.ops.open_store(lambda: unlock_store(data, "alice", "correct horse battery staple")).success(
    lambda store: window._on_unlocked(store.user, store.role)).run()
app.exec()
"""
)


def _time(code: str, *args: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # An installed app runs from cached bytecode; a shell that forbids writing it would make every
    # launch recompile our modules and measure the compiler instead of the start-up.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60
    )
    elapsed = time.perf_counter() - started
    if "painted" not in out.stdout:
        raise RuntimeError(f"child did not paint: {out.stderr[-2000:]}")
    return elapsed


def main() -> None:
    from outreach.store.session import create_store
    from outreach.store.vault import KdfParams

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        kdf = KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1)
        store, _ = create_store(data, "alice", "worker", "correct horse battery staple", kdf=kdf)
        store.close()
        _time(BARE)  # warm the file cache for both
        _time(APP, str(data))
        bare = statistics.median(_time(BARE) for _ in range(RUNS))
        app = statistics.median(_time(APP, str(data)) for _ in range(RUNS))
    ratio = app / bare
    print(f"bare QMainWindow painted: {bare * 1000:.0f} ms (median of {RUNS})")
    print(f"Outreach unlocked window painted: {app * 1000:.0f} ms")
    verdict = "ok" if ratio <= BUDGET_RATIO else "OVER BUDGET"
    print(f"ratio {ratio:.2f}x (budget {BUDGET_RATIO:.1f}x): {verdict}")


if __name__ == "__main__":
    main()
