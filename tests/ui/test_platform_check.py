"""Before Qt starts: a machine that cannot show the window gets one actionable line, not Qt's
abort; `make qt-deps` gets the Debian packages to install; with them, the window opens on X11."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.first_window import PAINTED, launch
from outreach.ui import platform_check
from outreach.ui.platform_check import PLUGIN, advice, missing_packages, uses_xcb, window_problem


def real_plugin() -> Path:
    plugin = platform_check.xcb_plugin({})
    assert plugin is not None, "PySide6 ships the xcb plugin on Linux"
    return plugin


@pytest.fixture
def broken_plugin_dir(tmp_path: Path) -> Path:
    """The real xcb plugin copied away from the Qt libraries it needs: it cannot load here."""
    target = tmp_path / "plugins" / PLUGIN
    target.parent.mkdir(parents=True)
    shutil.copy(real_plugin(), target)
    return tmp_path / "plugins"


def gui_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "OUTREACH_"))}
    env.pop("WAYLAND_DISPLAY", None)
    return env | extra


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is Linux's")


def test_only_x11_on_linux_is_checked() -> None:
    """Offscreen, Wayland and other systems are left to Qt; xcb (asked or default) is checked."""
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not uses_xcb({}, "win32") and not uses_xcb({}, "darwin")
    assert uses_xcb({}, "linux") and uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")


def test_no_display_is_said_in_one_line() -> None:
    """Without DISPLAY the app says there is no display instead of Qt's abort."""
    problem = window_problem({})
    assert problem is not None and "no display" in problem and "\n" not in problem


def test_a_plugin_that_cannot_load_names_the_missing_library(broken_plugin_dir: Path) -> None:
    """The loader's missing library is named in one line (here a Qt library the copy lacks)."""
    problem = window_problem({"DISPLAY": ":0", "QT_PLUGIN_PATH": str(broken_plugin_dir)})
    assert problem is not None and "\n" not in problem
    assert "libQt6XcbQpa.so.6" in problem
    assert "libQt6XcbQpa.so.6" in missing_packages(broken_plugin_dir / PLUGIN)


def test_a_known_missing_x_library_names_its_package() -> None:
    """For the X libraries minimal installs lack, the line gives the apt-get command."""
    line = advice("libxcb-icccm.so.4")
    assert "sudo apt-get install libxcb-icccm4" in line and "make run" in line


def test_the_app_prints_the_line_and_exits_instead_of_aborting(
    broken_plugin_dir: Path, tmp_path: Path
) -> None:
    """`outreach` where the X11 plugin cannot load: exit 1, one line on stderr, no traceback."""
    env = gui_env(DISPLAY=":0", QT_PLUGIN_PATH=str(broken_plugin_dir))
    out = subprocess.run(
        [sys.executable, "-m", "outreach", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 1
    assert out.stderr.strip().startswith("outreach: cannot open a window")
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


@pytest.fixture
def x_server() -> Iterator[str]:
    """A real X server (Xvfb, installed by `make system-deps`) on a free display number."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb not installed: `make system-deps` installs it")
    for number in range(140, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            break
    proc = subprocess.Popen(
        [xvfb, f":{number}", "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_window_opens_on_x11(x_server: str, tmp_path: Path) -> None:
    """With the libraries `make qt-deps` installs, `outreach` paints its window on an X server."""
    missing = missing_packages(real_plugin())
    assert not missing, f"run `make qt-deps` first: missing {missing}"
    started = launch(
        [sys.executable, "-m", "outreach", "--data-dir", str(tmp_path / "data")],
        gui_env(DISPLAY=x_server, QT_QPA_PLATFORM="xcb"),
        markers=(PAINTED,),
    )
    assert PAINTED in started.seen, started.output[-2000:]
