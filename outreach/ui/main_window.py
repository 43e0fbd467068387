"""The main window: set-up on first run, unlock, then the workspace; locks on idle or Ctrl+L."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QMargins, QRect, QSize, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from outreach import APP_NAME, config
from outreach.store.session import preload, store_exists
from outreach.ui.context import AppContext
from outreach.ui.drafts import DraftKeeper
from outreach.ui.idle import IdleWatcher
from outreach.ui.ops import Ops
from outreach.ui.screens.unlock import UnlockScreen

if TYPE_CHECKING:  # imported when first needed: the first paint is the unlock screen alone
    from outreach.store.vault import KdfParams
    from outreach.ui.workspace import Workspace

log = logging.getLogger(__name__)
PRELOAD_MS = 300  # after the unlock screen has painted; nobody types a passphrase that fast
PREFERRED_SIZE = QSize(1100, 760)
# Title bar and borders the window manager adds, before the window is shown and they are known:
# generous, so that a 1366x768 laptop with a panel still sees the status bar and "Sync now".
ASSUMED_FRAME = QMargins(8, 40, 8, 8)


def fitted_geometry(available: QRect, frame: QMargins, preferred: QSize = PREFERRED_SIZE) -> QRect:
    """The window's inner rectangle: `preferred`, shrunk so that it and its `frame` fit the
    screen's `available` area (without panels and docks), centred in it."""
    outer_w = min(preferred.width() + frame.left() + frame.right(), available.width())
    outer_h = min(preferred.height() + frame.top() + frame.bottom(), available.height())
    x = available.x() + (available.width() - outer_w) // 2 + frame.left()
    y = available.y() + (available.height() - outer_h) // 2 + frame.top()
    return QRect(
        x, y, outer_w - frame.left() - frame.right(), outer_h - frame.top() - frame.bottom()
    )


def _preload(with_sync: bool) -> None:
    """Off the UI thread, while the passphrase is typed: what unlocking imports, then the sync
    client (httpx, ~380 M instructions), which nothing needs until a sync. Not the client once an
    unlock is under way: it would compete with building the workspace for the first paint."""
    preload()
    if with_sync:
        try:
            importlib.import_module("outreach.sync.client")
        except ModuleNotFoundError as exc:  # a build without sync
            log.info("no sync client to preload: %s", exc)


def _preload_failed(error: BaseException) -> None:
    log.info("preload failed: %s", error)  # unlocking imports it all the same


class MainWindow(QMainWindow):
    unlocked = Signal()
    locked = Signal()

    def __init__(self, data_dir: Path, *, kdf: KdfParams | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME.capitalize() if APP_NAME.islower() else APP_NAME)
        self.fit_to_screen()
        self.ops = Ops(self)
        self.ops.progress_parent = self
        self.ops.error_handler = self.show_error
        self.ctx = AppContext(ops=self.ops, data_dir=data_dir, kdf=kdf)
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.workspace: Workspace | None = None
        self.status: QWidget | None = None
        self.idle = IdleWatcher(self.ctx.settings.auto_lock_minutes, self)
        self.idle.idle.connect(self.lock)
        self._lock_key: QShortcut | None = None  # made on first unlock: nothing to lock before
        self._screen: QWidget | None = None
        self.drafts = DraftKeeper()  # forms in progress over a lock: memory only
        self.start()

    def fit_to_screen(self) -> None:
        """The preferred size, or less on a small screen: the whole window, status bar
        included, stays on the screen's available area (1366x768 laptops)."""
        screen = self.screen()
        if screen is None:
            self.resize(PREFERRED_SIZE)
            return
        self.setGeometry(fitted_geometry(screen.availableGeometry(), ASSUMED_FRAME))

    # -- screens -------------------------------------------------------------------------------

    def _show(self, widget: QWidget) -> None:
        old = self._screen
        self.stack.addWidget(widget)
        self.stack.setCurrentWidget(widget)
        self._screen = widget
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()

    def start(self) -> None:
        if store_exists(self.ctx.data_dir):
            self.show_unlock()
        else:
            from outreach.ui.screens.setup import SetupScreen

            setup = SetupScreen(self.ctx)
            setup.finished.connect(self._on_unlocked)
            self._show(setup)

    def show_unlock(self) -> None:
        unlock = UnlockScreen(self.ctx)
        unlock.unlocked.connect(self._on_unlocked)
        self._show(unlock)
        unlock.focus_passphrase()
        unlock.show_notice(self.drafts.notice())
        QTimer.singleShot(PRELOAD_MS, self, self._preload_store)

    def _preload_store(self) -> None:
        """The store stack is no longer imported at launch (first paint); have it ready by the
        time the passphrase is typed, so that unlocking does not wait for it either."""
        if self.workspace is None and not self.ops.closed:
            screen = self._screen
            unlocking = isinstance(screen, UnlockScreen) and not screen.unlock_button.isEnabled()
            self.ops.network(lambda: _preload(not unlocking)).failure(_preload_failed).run()

    def _on_unlocked(self, user: str, role: str) -> None:
        self.ctx.user, self.ctx.role = user, role
        self.ctx.settings = config.load_settings()
        self.ctx.remember(last_user=user)
        from outreach.ui.workspace import Workspace

        self.workspace = Workspace(self.ctx)
        self._show(self.workspace)
        self._install_status_bar()
        self._install_lock_key()
        self.drafts.hand_over(self.workspace, user)
        self.idle.set_minutes(self.ctx.settings.auto_lock_minutes)
        self.idle.start()
        log.info("unlocked (role %s)", role)
        self.unlocked.emit()

    def _install_status_bar(self) -> None:
        from outreach.ui.widgets.sync_status import SyncStatus

        self.status = SyncStatus(self.ctx)
        self.statusBar().addPermanentWidget(self.status, 1)
        self.statusBar().show()

    def _install_lock_key(self) -> None:
        if self._lock_key is None:
            self._lock_key = QShortcut(QKeySequence("Ctrl+L"), self)
            self._lock_key.setContext(QtCore.Qt.ShortcutContext.ApplicationShortcut)
            self._lock_key.activated.connect(self.lock)

    def lock(self) -> None:
        """Close the store (key dropped), clear every page, and go back to the unlock screen."""
        if self.workspace is None:
            return
        self.idle.stop()
        self.drafts.keep(self.workspace, self.ctx.user)
        self.workspace = None
        if self.status is not None:
            self.statusBar().removeWidget(self.status)
            self.status.deleteLater()
            self.status = None
        self.statusBar().hide()
        self.ctx.user = self.ctx.role = ""
        self.ops.close_store().success(lambda _: self.locked.emit()).run()
        self.show_unlock()
        log.info("locked")

    # -- errors and shutdown -------------------------------------------------------------------

    def show_error(self, error: BaseException) -> None:
        from outreach.ui.dialogs.error_dialog import show_error

        show_error(error, self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.idle.stop()
        self.ops.shutdown()
        super().closeEvent(event)
