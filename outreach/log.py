"""Logging is configured once, by the entry point: a rotating file in the data dir plus stderr.

Log lines never carry record content (see docs/security.md). Logging never gets in the way of
the work: a full disk makes the file handler drop lines quietly (no "--- Logging error ---"
tracebacks on stderr), and a data directory where the log cannot be written (read-only) leaves
stderr as the only handler.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import stat

from outreach import paths

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


_configured = False


class QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A private (0600) rotating log file that drops a line it cannot write instead of
    printing a traceback: logging must never be why a command or the app fails."""

    dropped = 0

    def _open(self):  # type: ignore[no-untyped-def]  # typeshed's stream type is private
        stream = super()._open()
        # Only a regular file of our own: never chmod through a symlink (to /dev/full, say).
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(self.baseFilename).st_mode):
                os.chmod(self.baseFilename, 0o600)
        return stream

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging API
        self.dropped += 1


def setup_logging(verbose: bool = False) -> None:
    """Idempotent: a second call (tests, GUI started from the CLI) adds no handlers."""
    global _configured
    if _configured:
        return
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    paths.data_dir()  # a data dir that cannot even be made is the caller's error to report
    _configured = True
    stderr = logging.StreamHandler()
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(stderr)
    try:
        file_handler = QuietFileHandler(
            paths.log_dir() / "outreach.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:  # read-only data dir: work on, logging to stderr only
        root.debug("no log file (%s): logging to stderr only", exc.strerror)
        return
    file_handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(file_handler)
