"""Before Qt starts: can it open a window here? If not, say how to fix it in one line.

Qt's own failure ("could not load the Qt platform plugin "xcb"") aborts the process with a
paragraph that names no package. On Linux with X11 the xcb plugin needs a dozen system X
libraries that minimal installs lack, so the plugin is loaded here first (the loader names the
first missing library) and the message names the Debian/Ubuntu package. Loading it costs almost
nothing: Qt finds the library already mapped when it loads the plugin a moment later.

Nothing here imports Qt (PySide6 is only located), so a failure is reported before any of it runs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

PLUGIN = Path("platforms") / "libqxcb.so"
# soname -> Debian/Ubuntu package, for every system library the xcb plugin and libQt6XcbQpa load
# (`ldd` on them); `make qt-deps` installs what `python -m outreach.ui.platform_check` names.
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
_MISSING = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")


def plugin_dirs(env: Mapping[str, str]) -> list[Path]:
    """Where Qt looks for plugins: QT_PLUGIN_PATH (the frozen build sets it), then PySide6's."""
    dirs = [Path(p) for p in env.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent / "Qt" / "plugins")
    return dirs


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will pick its X11 plugin: Linux, and no other platform asked for."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":", 1)[0].split(";", 1)[0] == "xcb"
    # Qt 6 prefers Wayland in a Wayland session and falls back to xcb; check xcb only without one.
    return not env.get("WAYLAND_DISPLAY")


def missing_library(plugin: Path) -> str | None:
    """The system library that stops `plugin` loading (as the loader names it), or None."""
    import ctypes  # here, not at import: launch is timed (DESIGN §7) and offscreen needs none

    try:
        ctypes.CDLL(str(plugin), mode=os.RTLD_LAZY)
    except OSError as exc:
        found = _MISSING.search(str(exc))
        return found.group(1) if found else str(exc)
    return None


def advice(library: str) -> str:
    """One actionable line for a missing library."""
    package = PACKAGES.get(library)
    if package is None:
        return (
            f"outreach: cannot open a window: Qt's X11 plugin did not load ({library}). "
            "Install Qt's X11 libraries for your system, or run with QT_QPA_PLATFORM=wayland."
        )
    return (
        f"outreach: cannot open a window: Qt needs {library}, which is not installed. "
        f"On Debian/Ubuntu run `make run` (it installs Qt's X11 libraries) or "
        f"`sudo apt-get install {package}`; elsewhere install your system's {package} package."
    )


def window_problem(env: Mapping[str, str] | None = None) -> str | None:
    """A one-line reason why no window can open here, or None when Qt should manage."""
    env = os.environ if env is None else env
    if not uses_xcb(env):
        return None
    if not env.get("DISPLAY"):
        return (
            "outreach: cannot open a window: no display (DISPLAY is not set). Start it from a "
            "desktop session, or use the command-line commands (`outreach --help`)."
        )
    plugin = xcb_plugin(env)
    if plugin is None:
        return None  # no xcb plugin where we look: let Qt search and say what it finds
    library = missing_library(plugin)
    return advice(library) if library else None


def xcb_plugin(env: Mapping[str, str] | None = None) -> Path | None:
    for directory in plugin_dirs(os.environ if env is None else env):
        if (directory / PLUGIN).is_file():
            return directory / PLUGIN
    return None


def missing_packages(plugin: Path) -> list[str]:
    """Debian packages for every library `ldd` cannot find for `plugin` (unknown: the soname)."""
    import subprocess

    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=False)
    missing = sorted({line.split()[0] for line in out.stdout.splitlines() if "not found" in line})
    return [PACKAGES.get(name, name) for name in missing]


def main() -> int:
    """`python -m outreach.ui.platform_check`: packages to install, one a line (make qt-deps)."""
    plugin = xcb_plugin()
    if plugin is not None and sys.platform.startswith("linux"):
        for package in missing_packages(plugin):
            sys.stdout.write(package + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
