"""Sync: enrolment, "Sync now", batches saved to a folder (USB), receipts from the hub and how
many records it quarantined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from outreach.store.changes import Changes
from outreach.store.store import Store
from outreach.ui import sync_api
from outreach.ui.context import AppContext
from outreach.ui.dates import format_datetime
from outreach.ui.dialogs.enrol_dialog import EnrolDialog
from outreach.ui.models.receipts_model import ReceiptsModel


def _load(store: Store) -> tuple[sync_api.SyncStatusInfo, list[Any]]:
    return sync_api.status(store), sync_api.receipt_history(store)


class SyncPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.state = QLabel()
        self.state.setAccessibleName("Sync state")
        self.state.setWordWrap(True)
        self.enrol_button = QPushButton("&Enrol this device…")
        self.sync_button = QPushButton("Sync &now")
        self.save_button = QPushButton("Save batches to a &folder…")
        self.save_button.setAccessibleName("Save batches to a folder (USB transfer)")
        self.saved = QLabel()
        self.saved.setAccessibleName("Batches saved")
        self.saved.setWordWrap(True)
        self.quarantined = QLabel()
        self.quarantined.setAccessibleName("Quarantined records")
        self.model = ReceiptsModel()
        self.table = QTableView()
        self.table.setAccessibleName("Receipts from the hub")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        buttons = QHBoxLayout()
        buttons.addWidget(self.enrol_button)
        buttons.addWidget(self.sync_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(buttons)
        layout.addWidget(self.saved)
        layout.addWidget(self.quarantined)
        layout.addWidget(QLabel("Receipts (newest first)"))
        layout.addWidget(self.table, 1)
        self.enrol_button.clicked.connect(self.open_enrol)
        self.sync_button.clicked.connect(self.sync)
        self.save_button.clicked.connect(self._choose_folder)
        ctx.changes.connect(self._on_changes)
        self.refresh()

    def first_field(self) -> QWidget:
        return self.sync_button if self.sync_button.isEnabled() else self.enrol_button

    def activated(self) -> None:
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        """Records saved, an enrolment, a sync from the status bar: the figures here move."""
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        self.ctx.ops.store(_load).success(self._show).owner(self).run()

    def _show(self, loaded: tuple[sync_api.SyncStatusInfo, list[Any]]) -> None:
        info, receipts = loaded
        if not info.available:
            self.state.setText("Sync is not available in this build.")
            self.enrol_button.setEnabled(False)
            self.sync_button.setEnabled(False)
            self.save_button.setEnabled(False)
        else:
            enrolled = "Enrolled" if info.enrolled else "Not enrolled yet"
            last = format_datetime(info.last_sync) if info.last_sync else "never"
            text = f"{enrolled}. {info.pending} waiting to sync; last sync {last}."
            if info.unlinked_client_codes:
                text += (
                    f" {info.unlinked_client_codes} record(s) saved before enrolment carry client"
                    " codes made with this laptop's own key: the same people get new codes from"
                    " now on, so those records are not linked to them."
                )
            self.state.setText(text)
            self.sync_button.setEnabled(info.enrolled)
            self.save_button.setEnabled(info.enrolled)
        self.model.set_rows(receipts)
        total = self.model.quarantined_total()
        self.quarantined.setText(
            f"{total} record(s) quarantined by the hub: your coordinator can review them."
            if total
            else "No records quarantined."
        )

    def open_enrol(self) -> EnrolDialog:
        dialog = EnrolDialog(self.ctx, self)
        dialog.enrolled.connect(lambda _: self.refresh())
        dialog.open()
        return dialog

    def sync(self) -> None:
        self.sync_button.setEnabled(False)
        self.ctx.ops.store(
            lambda store, task: sync_api.sync_now(store, task, task.cancel)
        ).with_progress("Syncing with the hub").success(lambda _: self.refresh()).failure(
            self._failed
        ).run()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for the batch files (e.g. a USB stick)"
        )
        if folder:
            self.save_to(Path(folder))

    def save_to(self, folder: Path) -> None:
        """Seal every batch the hub has not acknowledged into `folder` (on the store thread)."""
        self.save_button.setEnabled(False)
        self.saved.setText(f"Saving batches to {folder}…")
        self.ctx.ops.store(lambda store: sync_api.save_batches(store, str(folder))).success(
            self._saved
        ).failure(self._save_failed).owner(self).run()

    def _saved(self, saved: sync_api.SavedBatches) -> None:
        self.save_button.setEnabled(True)
        if not saved.files:
            self.saved.setText("Nothing to save: the hub has every record from this device.")
            return
        self.saved.setText(
            f"Saved {saved.files} batch file(s) holding {saved.records} record(s) to"
            f" {saved.folder}. They are sealed for the hub: take them to your coordinator,"
            " who imports them. The records stay waiting here until the hub's receipt comes"
            " back with the next sync."
        )

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.saved.setText("Batches not saved.")
        self.ctx.ops.report_error(error)

    def _failed(self, error: BaseException) -> None:
        self.refresh()
        self.ctx.ops.report_error(error)
