"""Devices (coordinator only): the devices enrolled with the hub, a new enrolment code for a chosen
role shown as a QR code (and saved as a printable PDF), and revocation with a reason code.

Every call goes to the hub, signed by this device, on the store thread (never the UI thread); the
hub records each one in its coordinator audit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from outreach.domain.roles import ROLE_LABELS
from outreach.errors import SyncError, SyncErrorKind
from outreach.store.store import Store
from outreach.sync import device_admin
from outreach.sync.device_admin import REVOKE_REASONS, DeviceRow, MadeCode, QuarantineGroup
from outreach.ui.context import AppContext
from outreach.ui.dates import format_datetime
from outreach.ui.dialogs.revoke_dialog import RevokeDialog
from outreach.ui.widgets.qr import qr_pixmap

COLUMNS = (
    "Device",
    "Role",
    "Users",
    "Last seen",
    "Last synced seq",
    "Waiting",
    "Quarantined",
    "Status",
)
HEADER_TIPS = {
    "Users": "Devices do not report their users to the hub",
    "Waiting": "Devices do not report records waiting to sync to the hub",
    "Last seen": "Its last batch received by the hub, or its last coordinator request",
    "Last synced seq": "The last of its records the hub has acknowledged",
    "Quarantined": "Its records the hub set aside as invalid",
}
QR_SIDE = 240
NOT_KNOWN = "unknown"  # what devices do not tell the hub (users, records waiting)
SHORT_REASONS = {
    "lost": "lost",
    "stolen": "stolen",
    "replaced": "replaced",
    "left_service": "user left",
    "compromised": "compromised",
    "other": "other",
}


def _when(stamp: str | None) -> str:
    if not stamp:
        return "never"
    try:
        return format_datetime(dt.datetime.fromisoformat(stamp))
    except ValueError:
        return stamp


def row_cells(row: DeviceRow) -> list[str]:
    """The table's cells for one device, in `COLUMNS` order."""
    if row.revoked_at:
        reason = SHORT_REASONS.get(row.revoke_reason or "", "no reason given")
        status = f"Revoked: {reason}, {_when(row.revoked_at)}"
    else:
        status = "Active"
    return [
        row.label or row.device_id,
        ROLE_LABELS.get(row.role, row.role),
        NOT_KNOWN if row.users is None else str(row.users),
        _when(row.last_seen),
        str(row.acked_through),
        NOT_KNOWN if row.waiting is None else str(row.waiting),
        str(row.quarantined),
        status,
    ]


def _load(store: Store) -> tuple[list[DeviceRow], list[QuarantineGroup]]:
    return device_admin.list_devices(store), device_admin.list_quarantine(store)


class DevicesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[DeviceRow] = []
        self.groups: list[QuarantineGroup] = []
        self.made: MadeCode | None = None
        self.note = ""  # what the last action did, kept beside the list's count after a refresh
        self.message = QLabel("Devices load from the hub when this page opens.")
        self.message.setAccessibleName("Devices message")
        self.message.setWordWrap(True)
        self.refresh_button = QPushButton("Re&fresh list")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Devices enrolled with the hub")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move in it
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for column, tip in HEADER_TIPS.items():
            heading = self.table.horizontalHeaderItem(COLUMNS.index(column))
            if heading is not None:
                heading.setToolTip(tip)
        self.revoke_button = QPushButton("&Revoke selected device…")
        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.revoke_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "&Devices")
        self.tabs.addTab(self._quarantine_tab(), "&Quarantine")
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self._enrolment_box())
        self.refresh_button.clicked.connect(self.refresh)
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.make_button.clicked.connect(self.make_code)
        self.pdf_button.clicked.connect(self._choose_pdf)
        order = (
            self.table,
            self.revoke_button,
            self.refresh_button,
            self.role,
            self.label,
            self.days,
            self.make_button,
            self.pdf_button,
            self.code_text,
        )
        for before, after in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(before, after)

    def _quarantine_tab(self) -> QWidget:
        self.quarantine = QTableWidget(0, 3)
        self.quarantine.setAccessibleName("Records in quarantine by device and reason")
        self.quarantine.setHorizontalHeaderLabels(("Device", "Reason", "Records"))
        self.quarantine.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.quarantine.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.quarantine.setTabKeyNavigation(False)
        header = self.quarantine.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.quarantine.setWordWrap(True)
        note = QLabel(
            "Records the hub set aside as invalid, by device and reason. Releasing or rejecting"
            " them after a reference change is not available yet."
        )
        note.setWordWrap(True)
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(note)
        column.addWidget(self.quarantine, 1)
        return tab

    def _enrolment_box(self) -> QGroupBox:
        box = QGroupBox("New enrolment code")
        self.role = QComboBox()
        self.role.setAccessibleName("Role of the new device")
        for code, label in ROLE_LABELS.items():
            self.role.addItem(label, code)
        self.label = QLineEdit()
        self.label.setAccessibleName("Device label")
        self.label.setPlaceholderText("e.g. van 2, Boots Kirkgate (never a person's name)")
        self.label.setMaxLength(60)
        self.days = QSpinBox()
        self.days.setAccessibleName("Days the code is valid")
        self.days.setRange(1, 30)
        self.days.setValue(7)
        self.make_button = QPushButton("&Make enrolment code")
        self.pdf_button = QPushButton("Save printable &PDF…")
        self.pdf_button.setEnabled(False)
        self.code_text = QPlainTextEdit()
        self.code_text.setAccessibleName("Enrolment code text")
        self.code_text.setReadOnly(True)
        self.code_text.setTabChangesFocus(True)
        self.code_text.setMaximumHeight(90)
        self.code_about = QLabel("No code made yet.")
        self.code_about.setAccessibleName("Enrolment code")
        self.code_about.setWordWrap(True)
        self.qr = QLabel()
        self.qr.setAccessibleName("Enrolment QR code")
        self.qr.setFixedSize(QR_SIDE, QR_SIDE)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        form = QFormLayout()
        form.addRow("R&ole", self.role)
        form.addRow("&Label", self.label)
        form.addRow("&Valid for (days)", self.days)
        buttons = QHBoxLayout()
        buttons.addWidget(self.make_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch()
        form.addRow(buttons)
        form.addRow(self.code_about)
        form.addRow(self.code_text)
        row = QHBoxLayout(box)
        row.addLayout(form, 1)
        row.addWidget(self.qr)
        return box

    def first_field(self) -> QWidget:
        return self.table

    def activated(self) -> None:
        self.refresh()

    def _failed(self, error: BaseException, doing: str) -> None:
        """A hub that cannot be reached or refuses says so here; anything else is a fault."""
        self.refresh_button.setEnabled(True)
        self.make_button.setEnabled(True)
        if isinstance(error, SyncError) and error.kind is not SyncErrorKind.REVOKED:
            hint = {
                SyncErrorKind.AUTH: " Only a device enrolled with the coordinator role may"
                " manage devices.",
                SyncErrorKind.NOT_ENROLLED: " Enrol this device on the Sync page first.",
            }.get(error.kind, "")
            self.message.setText(f"Could not {doing}: {error}.{hint}")
            return
        self.message.setText(f"Could not {doing}.")
        self.ctx.ops.report_error(error)

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self.message.setText("Asking the hub for its devices…")
        self.ctx.ops.store(_load).success(self._show).failure(
            lambda error: self._failed(error, "list the devices")
        ).owner(self).run()

    def _show(self, loaded: tuple[list[DeviceRow], list[QuarantineGroup]]) -> None:
        rows, groups = loaded
        self.refresh_button.setEnabled(True)
        self.groups = groups
        self.quarantine.setRowCount(len(groups))
        for number, group in enumerate(groups):
            cells = (group.label or group.device_id, group.error, str(group.records))
            for column, text in enumerate(cells):
                self.quarantine.setItem(number, column, QTableWidgetItem(text))
        self.quarantine.resizeRowsToContents()
        held = sum(group.records for group in groups)
        self.tabs.setTabText(1, f"&Quarantine ({held})")
        self.rows = rows
        self.table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            for column, text in enumerate(row_cells(row)):
                item = QTableWidgetItem(text)
                item.setToolTip(row.device_id)
                self.table.setItem(number, column, item)
        active = sum(1 for row in rows if not row.revoked_at)
        counted = f"{len(rows)} device(s) enrolled with the hub, {active} active."
        self.message.setText(f"{self.note} {counted}" if self.note else counted)
        self.note = ""

    def selected(self) -> DeviceRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def make_code(self) -> None:
        role, label, days = (
            str(self.role.currentData()),
            self.label.text().strip(),
            self.days.value(),
        )
        self.make_button.setEnabled(False)
        self.code_about.setText("Asking the hub for a code…")
        self.ctx.ops.store(
            lambda store: device_admin.make_enrolment_code(store, role, label, days)
        ).success(self._made).failure(lambda error: self._failed(error, "make a code")).owner(
            self
        ).run()

    def _made(self, made: MadeCode) -> None:
        self.make_button.setEnabled(True)
        self.made = made
        self.qr.setPixmap(qr_pixmap(made.code, QR_SIDE))
        self.code_text.setPlainText(made.code)
        named = f" ({made.label})" if made.label else ""
        self.code_about.setText(
            f"One {ROLE_LABELS.get(made.role, made.role)} device{named} can enrol with this code"
            f" in the next {made.days} day(s): scan the QR on its Sync page, or print it."
        )
        self.pdf_button.setEnabled(True)
        self.refresh()

    def _choose_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the enrolment code", "enrolment-code.pdf", "PDF (*.pdf)"
        )
        if path:
            self.save_pdf(Path(path))

    def save_pdf(self, path: Path) -> None:
        """Write the code shown as a printable A4 page (off the UI thread)."""
        made = self.made
        if made is None:
            return
        from outreach.reports.enrolment_sheet import write_enrolment_sheet

        def write() -> Path:
            write_enrolment_sheet(path, made.code, made.role, made.label, made.days)
            return path

        self.ctx.ops.network(write).success(
            lambda written: self.code_about.setText(
                f"Saved to {written}: print it, then delete it."
            )
        ).failure(lambda error: self.code_about.setText(f"Not saved: {error}")).owner(self).run()

    def revoke_selected(self) -> RevokeDialog | None:
        device = self.selected()
        if device is None:
            self.message.setText("Select a device to revoke.")
            return None
        if device.revoked_at:
            self.message.setText("That device is already revoked.")
            return None
        dialog = RevokeDialog(device.label or device.device_id, REVOKE_REASONS, self)

        def go() -> None:
            reason, target = dialog.chosen(), device.device_id
            self.message.setText("Revoking…")
            self.ctx.ops.store(
                lambda store: device_admin.revoke_device(store, target, reason)
            ).success(lambda _: self._revoked(device)).failure(
                lambda error: self._failed(error, "revoke the device")
            ).owner(self).run()

        dialog.accepted.connect(go)
        dialog.open()
        return dialog

    def _revoked(self, device: DeviceRow) -> None:
        self.note = (
            f"Revoked {device.label or device.device_id}: it wipes itself when it next contacts"
            " the hub."
        )
        self.refresh()

    def row_texts(self) -> list[list[str]]:
        """The table's text, row by row."""
        texts: list[list[str]] = []
        for r in range(self.table.rowCount()):
            items = (self.table.item(r, c) for c in range(self.table.columnCount()))
            texts.append([item.text() if item is not None else "" for item in items])
        return texts
