"""PyInstaller run-time hook: point Qt at the bundled plugins without importing Qt.

It replaces PyInstaller's own PySide6 hook, which imports `PySide6.QtCore` (and with it shiboken's
signature machinery, ~40 ms) in every process, even a command-line one that never opens a window.
PySide6 registers its own relocatable `qt.conf` when QtCore is first imported, so the environment
is all that is needed here.
"""

import os
import sys


def _point_qt_at_bundle() -> None:
    bundle = getattr(sys, "_MEIPASS", None)
    if not bundle:
        return
    qt_root = os.path.join(bundle, "PySide6") if sys.platform == "win32" else None
    qt_root = qt_root or os.path.join(bundle, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_root, "plugins")
    if sys.platform == "win32":
        # QtNetwork finds OpenSSL DLLs collected at the top of the bundle
        os.environ["PATH"] = bundle + os.pathsep + os.environ.get("PATH", "")


_point_qt_at_bundle()
