"""Status bar: connection state, records waiting to sync, last sync, and "Sync now".

Every refresh recomputes the connection text from the stored state (enrolled or not) and the
outcome of the last sync tried in this session, so it never contradicts the labels beside it.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from outreach.errors import SyncError, SyncErrorKind
from outreach.ui import sync_api
from outreach.ui.context import AppContext
from outreach.ui.dates import format_datetime
from outreach.ui.messages import explain

log = logging.getLogger(__name__)
AUTO_SYNC_MS = 60_000  # how often to look for the hub while records are waiting
OFFLINE = "Offline: records kept, will retry"


def connection_text(info: sync_api.SyncStatusInfo, outcome: str | None, syncing: bool) -> str:
    """What the connection label says: the stored state first, then this session's last try."""
    if not info.available:
        return "Sync: not available in this build"
    if not info.enrolled:
        return "Not enrolled: records stay on this device"
    if syncing:
        return "Syncing…"
    return outcome or "Enrolled with the hub"


def last_sync_text(info: sync_api.SyncStatusInfo) -> str:
    if not info.available:
        return ""
    return f"Last sync {format_datetime(info.last_sync)}" if info.last_sync else "Never synced"


class SyncStatus(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.connection = QLabel()
        self.connection.setAccessibleName("Connection state")
        self.pending = QLabel()
        self.pending.setAccessibleName("Records waiting to sync")
        self.last = QLabel()
        self.last.setAccessibleName("Last sync")
        self.sync_button = QPushButton("S&ync now")
        self.sync_button.setAccessibleName("Sync now")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(24)  # three separate facts, not one sentence
        layout.addWidget(self.connection)
        layout.addWidget(self.pending)
        layout.addWidget(self.last)
        layout.addStretch()
        layout.addWidget(self.sync_button)
        self.sync_button.clicked.connect(self.sync)
        ctx.changes.connect(lambda _changes: self.refresh())
        self.syncing = False
        self.outcome: str | None = None  # the last sync tried in this session, said in words
        self.info: sync_api.SyncStatusInfo | None = None
        self.auto_timer = QTimer(self)
        self.auto_timer.setInterval(AUTO_SYNC_MS)
        self.auto_timer.timeout.connect(self.try_auto_sync)
        self.auto_timer.start()
        self.refresh()

    def try_auto_sync(self) -> None:
        """Sync in the background once the hub answers: the store thread only reads the pins,
        the probe runs on the network pool, so saves never wait for the network."""
        if self.syncing or self.ctx.ops.closed:
            return
        self.ctx.ops.store(sync_api.auto_sync_target).success(self._probe).failure(
            self._quiet
        ).run()

    def _probe(self, pins: Any) -> None:
        if pins is None or self.syncing:
            return
        self.ctx.ops.network(lambda: sync_api.hub_answers(pins)).success(self._answered).failure(
            self._quiet
        ).run()

    def _answered(self, reachable: bool) -> None:
        if reachable:
            self.sync(background=True)
        else:
            self._say(OFFLINE)

    def refresh(self) -> None:
        self.ctx.ops.store(sync_api.status).success(self._show).failure(self._quiet).run()

    def _quiet(self, error: BaseException) -> None:
        log.info("sync status unavailable: %s", type(error).__name__)

    def _show(self, info: sync_api.SyncStatusInfo) -> None:
        self.info = info
        self.connection.setText(connection_text(info, self.outcome, self.syncing))
        self.pending.setText(
            f"{info.pending} waiting to sync"
            if info.available
            else f"{info.pending} records on this device"
        )
        self.last.setText(last_sync_text(info))
        self.sync_button.setEnabled(info.available and info.enrolled and not self.syncing)

    def _say(self, outcome: str) -> None:
        """Note how the last try went and show it (the stored state still comes first)."""
        self.outcome = outcome
        if self.info is not None:
            self.connection.setText(connection_text(self.info, outcome, self.syncing))
        else:
            self.connection.setText(outcome)

    def sync(self, background: bool = False) -> None:
        """Sync now; a background sync shows no progress dialog, only the status line."""
        if self.syncing:
            return
        self.syncing = True
        self.sync_button.setEnabled(False)
        self.connection.setText("Syncing…")
        if background:
            op = self.ctx.ops.store(lambda store: sync_api.sync_now(store, None, None))
        else:
            op = self.ctx.ops.store(
                lambda store, task: sync_api.sync_now(store, task, task.cancel)
            ).with_progress("Syncing with the hub")
        op.success(self._synced).failure(self._failed).run()

    def _synced(self, outcome: Any) -> None:
        self.syncing = False
        result = outcome[0] if isinstance(outcome, tuple) else outcome
        sent = getattr(result, "sent", "?")
        quarantined = getattr(result, "quarantined", 0)
        note = f"; {quarantined} quarantined" if quarantined else ""
        note += "".join(f". {text[:1].upper()}{text[1:]}" for text in getattr(result, "notes", ()))
        self._say(f"Hub reachable: sent {sent}{note}")
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.syncing = False
        self.sync_button.setEnabled(True)
        if isinstance(error, SyncError) and error.kind is SyncErrorKind.NETWORK:
            self._say(OFFLINE)
            return
        self._say(explain(error).title)
        self.ctx.ops.report_error(error)
