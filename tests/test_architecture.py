"""Architecture rules: the core never imports Qt, and library code never prints."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "outreach"
CORE_FILES = [p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts[:1]]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_no_qt(path: Path) -> None:
    """No module outside outreach/ui imports PySide6 (even lazily)."""
    qt = {name for name in imported_modules(path) if name.split(".")[0] in {"PySide6", "shiboken6"}}
    assert not qt


def test_importing_the_core_loads_no_qt() -> None:
    """Loading the CLI, store, sync, hub and reports packages leaves PySide6 unloaded."""
    code = (
        "import sys, importlib, pkgutil, outreach\n"
        "for m in pkgutil.walk_packages(outreach.__path__, 'outreach.'):\n"
        "    if not m.name.startswith('outreach.ui'):\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.startswith('PySide6')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("path", list(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_library_code_does_not_print(path: Path) -> None:
    """Library code logs; it never calls print()."""
    tree = ast.parse(path.read_text())
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "print"
    ]
    assert not calls
