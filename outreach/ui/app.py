"""Start the desktop app: QApplication, excepthooks (log first, then show), the main window."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication

from outreach import APP_NAME, __version__, paths
from outreach.log import setup_logging

log = logging.getLogger(__name__)


def create_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    return app


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """Log first (the log survives a crash), then show the one error presenter if we can."""
    log.critical("unhandled error", exc_info=(kind, error, tb))
    app = QApplication.instance()
    if app is None or threading.current_thread() is not threading.main_thread():
        return
    from outreach.ui.dialogs.error_dialog import show_error

    show_error(error.with_traceback(tb), QApplication.activeWindow())


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    log.critical(
        "unhandled error in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
    )


def install_excepthooks() -> None:
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def run(data_dir: Path | None) -> int:
    """Entry point for `outreach` without a sub-command; returns the exit status."""
    if data_dir is not None:
        paths.set_data_dir(data_dir)
    setup_logging()
    from outreach.ui.platform_check import window_problem

    problem = window_problem()
    if problem is not None:  # Qt would abort with a paragraph naming no package
        log.info("no window: %s", problem)  # the file; stderr gets the line once, below
        sys.stderr.write(problem + "\n")
        return 1
    app = create_app()
    install_excepthooks()
    from outreach.ui.main_window import MainWindow

    window = MainWindow(paths.data_dir())
    window.show()
    code = app.exec()
    log.info("app exited with %d", code)
    return int(code)
