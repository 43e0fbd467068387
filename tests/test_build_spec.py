"""The static parts of `build.spec`, checked by running it against stand-ins for PyInstaller.

PyInstaller itself only runs in `make dist` (minutes); this keeps `make test` fast while still
catching a page, Qt module or code list the desktop build would leave out.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from outreach import APP_NAME, __version__

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
QT_ENV_HOOK = ROOT / "scripts" / "pyi_rth_qt_env.py"

# What PyInstaller's Analysis would hand back, in miniature: (dest, source, kind).
SAMPLE_BINARIES = [
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "/x/libqoffscreen.so", "BINARY"),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/libqxcb.so", "BINARY"),
    ("PySide6/Qt/lib/libQt6Widgets.so.6", "/x/libQt6Widgets.so.6", "BINARY"),
    ("PySide6/Qt/lib/libQt6Charts.so.6", "/x/libQt6Charts.so.6", "BINARY"),
    ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", "/x/k", "BINARY"),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", "/x/libqpdf.so", "BINARY"),
    ("PySide6/Qt/lib/libQt6Qml.so.6", "/x/libQt6Qml.so.6", "BINARY"),
    ("PySide6\\Qt6Quick.dll", "C:\\x\\Qt6Quick.dll", "BINARY"),
]
SAMPLE_DATAS = [
    ("libQt6Quick.so.6", "PySide6/Qt/lib/libQt6Quick.so.6", "SYMLINK"),
    ("libQt6Widgets.so.6", "PySide6/Qt/lib/libQt6Widgets.so.6", "SYMLINK"),
    ("PySide6/Qt/translations/qtbase_de.qm", "/x/qtbase_de.qm", "DATA"),
    ("resources/vocab/v1.json", str(ROOT / "resources/vocab/v1.json"), "DATA"),
]
SAMPLE_SCRIPTS = [
    ("pyi_rth_pyside6", "/x/pyi_rth_pyside6.py", "PYSOURCE"),
    ("pyi_rth_inspect", "/x/pyi_rth_inspect.py", "PYSOURCE"),
    ("__main__", str(ROOT / "outreach/__main__.py"), "PYSOURCE"),
]


def run_spec(monkeypatch: pytest.MonkeyPatch, platform: str = "linux") -> dict[str, Any]:
    """Execute build.spec as PyInstaller would on `platform`, recording what it builds."""
    monkeypatch.setattr(sys, "platform", platform)
    calls: dict[str, list[SimpleNamespace]] = {}

    def stand_in(kind: str) -> Any:
        def build(*args: Any, **kwargs: Any) -> SimpleNamespace:
            made = SimpleNamespace(kind=kind, args=args, kwargs=kwargs)
            if kind == "Analysis":
                made.scripts = list(SAMPLE_SCRIPTS)
                made.binaries = list(SAMPLE_BINARIES)
                made.datas = list(SAMPLE_DATAS)
                made.pure = []
            calls.setdefault(kind, []).append(made)
            return made

        return build

    namespace: dict[str, Any] = {"SPECPATH": str(ROOT), "__name__": "__main__"}
    namespace.update({k: stand_in(k) for k in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")})
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    namespace["calls"] = calls
    return namespace


def analysis(spec: dict[str, Any]) -> SimpleNamespace:
    (found,) = spec["calls"]["Analysis"]
    return found


def test_name_and_version_are_imported_from_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spec names the app and its version from `outreach`, never a literal of its own."""
    source = SPEC.read_text(encoding="utf-8")
    assert "from outreach import APP_NAME, __version__" in source
    assert __version__ not in source
    spec = run_spec(monkeypatch, "darwin")
    assert spec["calls"]["EXE"][0].kwargs["name"] == APP_NAME
    assert spec["calls"]["COLLECT"][0].kwargs["name"] == APP_NAME
    (bundle,) = spec["calls"]["BUNDLE"]
    assert bundle.kwargs["version"] == __version__
    assert bundle.kwargs["info_plist"]["CFBundleShortVersionString"] == __version__


def test_entry_is_the_cli_main_that_starts_the_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    """One entry script, `outreach/__main__.py`: the CLI, which starts the GUI with no command."""
    (scripts,) = analysis(run_spec(monkeypatch)).args
    assert [Path(s) for s in scripts] == [ROOT / "outreach" / "__main__.py"]


def test_every_resource_file_is_bundled_under_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Code lists (and any icons, style sheet) land where `resources_dir()` looks when frozen."""
    datas = analysis(run_spec(monkeypatch)).kwargs["datas"]
    placed = {Path(src).resolve(): Path(dest) for src, dest in datas}
    resources = [p for p in (ROOT / "resources").rglob("*") if p.is_file()]
    vocab = ROOT / "resources" / "vocab" / "v1.json"
    assert vocab in resources
    for path in resources:
        expected = Path("resources") / path.parent.relative_to(ROOT / "resources")
        assert placed.get(path.resolve()) == expected, path


def test_libraries_data_files_read_at_run_time_are_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    """biip's GS1 tables and the confusables tables (read from their package folders) are
    datas, beside their modules."""
    datas = analysis(run_spec(monkeypatch)).kwargs["datas"]
    biip = [Path(src).name for src, dest in datas if Path(dest).parts[:1] == ("biip",)]
    assert "_application_identifiers.json" in biip
    assert "_prefix_trie.json.lzma" in biip
    names = [
        Path(src).name for src, dest in datas if Path(dest).parts[:1] == ("confusable_homoglyphs",)
    ]
    assert {"confusables.json", "categories.json"} <= set(names)


def test_hub_tests_and_dev_tools_are_excluded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub's stack and test tools are excluded and never listed as hidden imports."""
    found = analysis(run_spec(monkeypatch))
    excludes = set(found.kwargs["excludes"])
    for name in ("outreach.hub", "fastapi", "uvicorn", "sqlalchemy", "psycopg", "tests"):
        assert name in excludes
    for name in ("pytest", "hypothesis", "tkinter"):
        assert name in excludes
    hidden = found.kwargs["hiddenimports"]
    assert not [h for h in hidden if h.startswith(("outreach.hub", "tests", "pytest", "fastapi"))]


def test_every_module_of_ours_is_a_hidden_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages and sync parts are imported by name, so each of our modules is listed explicitly."""
    hidden = set(analysis(run_spec(monkeypatch)).kwargs["hiddenimports"])
    for path in (ROOT / "outreach").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name.startswith("outreach.hub") or name == "outreach.ui.screenshots":
            assert name not in hidden
        else:
            assert name in hidden, name
    assert "outreach.ui.pages.record_contact" in hidden


def test_qt_modules_the_ui_imports_are_hidden_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `PySide6.QtX` module imported under outreach/ui (and QtCharts) is listed."""
    hidden = set(analysis(run_spec(monkeypatch)).kwargs["hiddenimports"])
    used = {"PySide6.QtCharts"}
    for path in (ROOT / "outreach" / "ui").rglob("*.py"):
        used |= set(re.findall(r"\bPySide6\.Qt\w+", path.read_text(encoding="utf-8")))
    assert used - hidden == set()


def test_runtime_imports_of_libraries_are_hidden_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Store, crypto, codecs, PDF fonts, QR and barcode libraries are listed explicitly."""
    hidden = set(analysis(run_spec(monkeypatch)).kwargs["hiddenimports"])
    for name in (
        "sqlcipher3",
        "argon2",
        "msgspec",
        "zstandard",
        "cryptography.hazmat.primitives.hpke",
        "qrcode.image.pil",
        "zxingcpp",
        "reportlab.pdfbase._fontdata_widths_helvetica",
    ):
        assert name in hidden
    for name in hidden:
        top = name.split(".")[0]
        assert importlib.util.find_spec(top) is not None, f"{name}: not installed"


@pytest.mark.parametrize(
    ("platform", "windowed", "executables"),
    [("linux", False, 1), ("win32", True, 2), ("darwin", True, 1)],
)
def test_windowed_on_windows_and_macos_with_a_console_cli(
    monkeypatch: pytest.MonkeyPatch, platform: str, windowed: bool, executables: int
) -> None:
    """GUI windowed on Windows/macOS; Windows adds a console `outreach-cli`; one folder always."""
    spec = run_spec(monkeypatch, platform)
    exes = spec["calls"]["EXE"]
    assert len(exes) == executables
    assert exes[0].kwargs["console"] is not windowed
    assert all(e.kwargs["exclude_binaries"] for e in exes)  # one-folder: libraries beside
    if platform == "win32":
        assert exes[1].kwargs == exes[1].kwargs | {"name": "outreach-cli", "console": True}
    (collect,) = spec["calls"]["COLLECT"]
    assert collect.kwargs["strip"] is (platform == "linux")  # debug info only on Linux builds
    assert ("BUNDLE" in spec["calls"]) is (platform == "darwin")


def test_unused_qt_plugins_and_translations_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The virtual keyboard, QML/Quick, PDF and Qt translations go; platforms, Widgets stay."""
    found = analysis(run_spec(monkeypatch))
    kept = [dest for dest, _, _ in found.binaries + found.datas]
    assert kept == [
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Charts.so.6",
        "libQt6Widgets.so.6",
        "resources/vocab/v1.json",
    ]


def test_pyside6_runtime_hook_is_replaced_by_the_lazy_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyInstaller's QtCore-importing hook is dropped; ours is the only Qt run-time hook."""
    found = analysis(run_spec(monkeypatch))
    assert [name for name, _, _ in found.scripts] == ["pyi_rth_inspect", "__main__"]
    assert [Path(p) for p in found.kwargs["runtime_hooks"]] == [QT_ENV_HOOK]
    assert found.kwargs["noarchive"] is True


def test_qt_env_hook_sets_the_plugin_path_without_importing_qt(tmp_path: Path) -> None:
    """Frozen, the hook points QT_PLUGIN_PATH into the bundle and leaves PySide6 unimported."""
    probe = (
        "import os, runpy, sys; sys._MEIPASS = sys.argv[1]; runpy.run_path(sys.argv[2]);"
        "print(os.environ['QT_PLUGIN_PATH']); print('PySide6' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path), str(QT_ENV_HOOK)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out == [str(tmp_path / "PySide6" / "Qt" / "plugins"), "False"]


def load_dist_check(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("dist_check", ROOT / "scripts" / "dist_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "dist_check", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_dist_check_fails_clearly_without_a_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make dist-check` before `make dist` exits 1 and says to build first."""
    assert load_dist_check(monkeypatch).main(["--dist", str(tmp_path)]) == 1
    assert "run `make dist` first" in capsys.readouterr().out
