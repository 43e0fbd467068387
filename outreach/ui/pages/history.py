"""History: recent records, search by client code, void with a reason."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from outreach.domain.client_code import normalise_client_code
from outreach.errors import InvalidRecord
from outreach.records import Record, Void
from outreach.store.store import Changes, Store, StoredRecord
from outreach.ui import sync_api
from outreach.ui.context import AppContext
from outreach.ui.dialogs.void_dialog import VoidDialog
from outreach.ui.models.records_model import NOT_LINKED, RecordsModel, type_label

LIMIT = 300


def load_history(
    store: Store, code: str | None, limit: int = LIMIT
) -> tuple[list[StoredRecord], dict[str, Record]]:
    """Recent records, and the records their voids voided (to say what each void took out)."""
    rows = store.recent(limit=limit, client_code=code)
    shown = {stored.record.id: stored.record for stored in rows}
    targets: dict[str, Record] = {}
    for stored in rows:
        record = stored.record
        if isinstance(record, Void):
            target = shown.get(record.target)
            if target is None:
                found = store.get(record.target)
                target = found.record if found is not None else None
            if target is not None:
                targets[record.target] = target
    return rows, targets


class HistoryPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.search = QLineEdit()
        self.search.setAccessibleName("Search by client code")
        self.search.setPlaceholderText("Client code (Enter to search, empty for all)")
        self.message = QLabel()
        self.message.setAccessibleName("History message")
        self.message.setWordWrap(True)
        self.model = RecordsModel(ctx.vocab)
        self.table = QTableView()
        self.table.setAccessibleName("Recent records")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._size_columns()
        self.void_button = QPushButton("&Void…")
        self.void_button.setAccessibleName("Void selected record")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.void_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.search.returnPressed.connect(self.refresh)
        self.void_button.clicked.connect(self.void_selected)
        ctx.changes.connect(self._on_changes)
        self._code: str | None = None
        self._asked = 0
        self.refresh()

    def first_field(self) -> QWidget:
        return self.search

    def _size_columns(self) -> None:
        """Widths from the font, once: measuring 300 rows at every refresh cost more than the
        query (UI budget, DESIGN §7). The summary takes what is left."""
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        samples = ("28 Sep 2026 23:59", "Naloxone use", "", "WWWWW-WWWWW-W (not linked)", "voided")
        for column, sample in enumerate(samples):
            if sample:
                header.resizeSection(column, metrics.horizontalAdvance(sample) + 24)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

    def activated(self) -> None:
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        """Refresh only while shown: a hidden page refreshes when shown again (`activated`), so
        a save on another page does not wait behind its query (UI budget, DESIGN §7)."""
        if (changes.added or changes.retired) and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        text = self.search.text().strip()
        code = None
        if text:
            try:
                code = normalise_client_code(text)
            except InvalidRecord as exc:
                self.message.setText(exc.message)
                return
        self._code = code
        self.ctx.ops.store(
            lambda store: (load_history(store, code), sync_api.local_codes_through(store))
        ).success(self._show).run()

    def _show(self, loaded: tuple[tuple[list[StoredRecord], dict[str, Record]], int]) -> None:
        (rows, targets), local_through = loaded
        if (
            rows != self.model.rows()
            or targets != self.model.targets()
            or local_through != self.model.local_codes_through
        ):
            self.model.local_codes_through = local_through
            self.model.set_rows(rows, targets)  # a reset repaints every row: only on a change
        what = "for this client code" if self._code else "on this device"
        text = f"{len(rows)} record(s) {what} (newest first)."
        unlinked = sum(1 for stored in rows if self.model.not_linked(stored))
        if unlinked:
            text += (
                f" {unlinked} marked “{NOT_LINKED}”: client codes made with this laptop's own"
                " key before enrolment, which do not match the service's codes."
            )
        self.message.setText(text)

    def selected(self) -> StoredRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.stored(rows[0].row()) if rows else None

    def void_selected(self) -> VoidDialog | None:
        stored = self.selected()
        if stored is None:
            self.message.setText("Select a record to void.")
            return None
        if not stored.active or stored.record.type == "void":
            self.message.setText("That record is already voided (or is a void).")
            return None
        what = type_label(stored.record.type).lower()
        dialog = VoidDialog(self.ctx.vocab, f"this {what}", self)
        record_id = stored.record.id

        def go() -> None:
            reason = dialog.chosen()
            self.ctx.ops.store(lambda store: store.void(record_id, reason)).success(
                lambda _: self.message.setText("Voided.")
            ).run()

        dialog.accepted.connect(go)
        dialog.open()
        return dialog
