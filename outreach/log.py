"""Logging is configured once, by the entry point: a rotating file in the data dir plus stderr.

Log lines never carry record content (see docs/security.md).
"""

from __future__ import annotations

import logging
import logging.handlers

from outreach import paths

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


_configured = False


def setup_logging(verbose: bool = False) -> None:
    """Idempotent: a second call (tests, GUI started from the CLI) adds no handlers."""
    global _configured
    if _configured:
        return
    _configured = True
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_dir() / "outreach.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(file_handler)
    root.addHandler(stderr)
