"""Start-up pieces: the excepthook, and the app at 200 % scaling."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from outreach.errors import StoreCorrupt
from outreach.ui import app as ui_app
from outreach.ui.dialogs.error_dialog import ErrorDialog


def test_excepthook_logs_then_shows_the_presenter(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    """An unhandled error is logged first and then shown by the one error dialog."""
    with caplog.at_level(logging.CRITICAL, logger="outreach.ui.app"):
        try:
            raise StoreCorrupt("page 3 failed its HMAC")
        except StoreCorrupt as exc:
            ui_app._excepthook(type(exc), exc, exc.__traceback__)
    assert "unhandled error" in caplog.text
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog)]
    assert dialogs and dialogs[-1].windowTitle() == "The store is damaged"
    for dialog in dialogs:
        qtbot.addWidget(dialog)


def test_screens_render_at_200_percent(tmp_path: Path) -> None:
    """With QT_SCALE_FACTOR=2 the record-contact page renders at twice the pixel size."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2")
    args = [sys.executable, "-m", "outreach.ui.screenshots", str(tmp_path), "--only"]
    result = subprocess.run(
        [*args, "record-contact"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "record-contact.png"))
    assert image.width() >= 2000


def test_the_unlock_window_waits_for_no_store_stack(existing_store: Path) -> None:
    """`outreach` shows its unlock window without the sub-commands, SQLCipher or crypto loaded,
    then loads the store stack and the sync client off the UI thread while the passphrase is
    typed (the client not once an unlock is under way: see the next test).

    Importing them before the first paint made launch slower (DESIGN §7).
    """
    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from outreach.cli import main\n"
        "heavy = ('outreach.store.commands', 'outreach.reports', 'outreach.sync',\n"
        "         'outreach.store.store', 'sqlcipher3', 'argon2', 'cryptography', 'httpx')\n"
        "def look(then):\n"
        "    shown = [w.__class__.__name__ for w in app.topLevelWidgets() if w.isVisible()]\n"
        "    loaded = sorted({m.split('.')[0] for m in sys.modules if m.startswith(heavy)})\n"
        "    print(shown, loaded)\n"
        "    then()\n"
        "app = QApplication([])\n"
        "later = lambda: QTimer.singleShot(2000, lambda: look(app.quit))\n"
        "QTimer.singleShot(0, lambda: look(later))\n"
        "main(['--data-dir', sys.argv[1]])\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", code, str(existing_store)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    first, later = result.stdout.strip().splitlines()
    assert first == "['MainWindow'] []"
    assert later == "['MainWindow'] ['argon2', 'cryptography', 'httpx', 'outreach', 'sqlcipher3']"


def test_an_unlock_under_way_leaves_the_sync_client_for_later(tmp_path: Path) -> None:
    """When the unlock is under way at the preload's turn (300 ms after the unlock screen: a
    harness, a password manager), the preload imports the store stack but not the sync client
    (httpx, ~380 M instructions), which would compete with building the workspace for its first
    paint (start-up budget). A key derivation slow enough to still run at 300 ms."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from outreach import paths\n"
        "from outreach.stock.companion import register\n"
        "from outreach.store.session import create_store\n"
        "from outreach.store.vault import KdfParams\n"
        "from outreach.ui.main_window import MainWindow\n"
        "from tests.samples import PASSPHRASE\n"
        "register()\n"
        "data = Path(sys.argv[1]); paths.set_data_dir(data)\n"
        "kdf = KdfParams(memory_kib=64 * 1024, time_cost=8, parallelism=1)\n"
        "create_store(data, 'alice', 'worker', PASSPHRASE, kdf=kdf)[0].close()\n"
        "app = QApplication([])\n"
        "window = MainWindow(data); window.show()\n"
        "started = time.perf_counter()\n"
        "def look():\n"
        "    print(time.perf_counter() - started > 0.4, 'httpx' in sys.modules)\n"
        "    app.quit()\n"
        "window.unlocked.connect(look)\n"
        "screen = window.stack.currentWidget()\n"
        "screen.passphrase.setText(PASSPHRASE); screen.try_unlock()\n"
        "app.exec()\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "store")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "False"]
