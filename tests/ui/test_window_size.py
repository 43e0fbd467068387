"""The default window fits a 1366x768 laptop screen whole: status bar and "Sync now" included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins, QRect, QSize

from outreach.store.session import create_store
from outreach.ui.main_window import ASSUMED_FRAME, PREFERRED_SIZE, fitted_geometry
from tests.samples import FAST_KDF, PASSPHRASE

# Qt's offscreen platform takes its screens from a JSON file: a 1366x768 laptop screen.
SCREEN = {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768}]}

CHILD = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from outreach import paths
from outreach.store.vault import KdfParams
from outreach.ui.main_window import MainWindow

app = QApplication([])
data = Path(sys.argv[1]); paths.set_data_dir(data)
window = MainWindow(data, kdf=KdfParams(memory_kib=8 * 1024, time_cost=1, parallelism=1))
window.show()
screen = window.stack.currentWidget()
screen.passphrase.setText(sys.argv[2])
screen.try_unlock()
while window.workspace is None or window.status is None or window.ops.busy:
    app.processEvents()
for _ in range(20):
    app.processEvents()
window.grab().save(sys.argv[3])

def rect(r):
    return [r.x(), r.y(), r.width(), r.height()]

bar, sync = window.statusBar(), window.status.sync_button
top_left = sync.mapToGlobal(sync.rect().topLeft())
print(json.dumps({
    "available": rect(window.screen().availableGeometry()),
    "frame": rect(window.frameGeometry()),
    "bar_visible": bar.isVisible(),
    "sync_visible": sync.isVisible(),
    "sync": [top_left.x(), top_left.y(), sync.width(), sync.height()],
    "page": type(window.workspace.stack.currentWidget()).__name__,
}))
window.close(); window.ops.shutdown()
"""


def inside(inner: list[int], outer: list[int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def test_the_window_fits_a_1366x768_screen_with_its_status_bar(tmp_path: Path) -> None:
    """On a 1366x768 screen the unlocked window (Record contact) lies on the screen whole, and
    the status bar with "Sync now" shows inside it."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps(SCREEN))
    data = tmp_path / "data"
    store, _ = create_store(data, "alice", "worker", PASSPHRASE, kdf=FAST_KDF)
    store.close()
    shot = tmp_path / "window.png"
    env = {
        k: v for k, v in __import__("os").environ.items() if not k.startswith(("QT_", "OUTREACH_"))
    }
    env["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), PASSPHRASE, str(shot)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["available"] == [0, 0, 1366, 768]
    assert seen["page"] == "RecordContactPage"
    assert inside(seen["frame"], seen["available"]), seen
    assert seen["bar_visible"] and seen["sync_visible"]
    assert inside(seen["sync"], seen["frame"]), seen
    assert shot.stat().st_size > 0


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (QRect(0, 0, 1920, 1040), QSize(1100, 760)),  # a big screen: the preferred size
        (QRect(0, 27, 1366, 741), QSize(1100, 693)),  # 1366x768 under a 27-pixel top panel
        (QRect(0, 0, 1024, 600), QSize(1008, 552)),  # a netbook: narrower and shorter
    ],
)
def test_fitted_geometry_keeps_window_and_frame_on_the_available_area(
    available: QRect, expected: QSize
) -> None:
    """The window is the preferred size or less, and with its frame lies inside the screen."""
    inner = fitted_geometry(available, ASSUMED_FRAME, PREFERRED_SIZE)
    assert inner.size() == expected
    outer = inner.marginsAdded(ASSUMED_FRAME)
    assert available.contains(outer), (available, outer)


def test_fitted_geometry_centres_the_window() -> None:
    """Left and right gaps are equal (within a pixel): the window opens in the middle."""
    available = QRect(0, 0, 1920, 1080)
    outer = fitted_geometry(available, QMargins(0, 0, 0, 0)).marginsAdded(QMargins())
    assert abs(outer.left() - (available.right() - outer.right())) <= 1
