"""PySide's per-import check, made cheap: it reads each module's file instead of its source.

After PySide6 is imported, every module imported is checked for the text "PySide6" (PySide's
`__feature__` switching is per module) through `inspect.getsource`, which goes through linecache
and a tokenizer on every module of ours, msgspec's, the store's: ~10–25 ms before the first
window paints when run from source (DESIGN §7). Reading the file's bytes gives the same answer.
A frozen build ships no sources, so there the check is already cheap. If PySide's internals
change shape, nothing is replaced.
"""

from __future__ import annotations

import sys
from types import ModuleType


def install() -> None:
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None or getattr(original, "_outreach", False):
        return

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return bool(original(module))
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return bool(original(module))

    uses_pyside._outreach = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
