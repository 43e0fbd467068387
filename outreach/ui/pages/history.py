"""History: recent records, search by client code (this device's records and what the whole
service knows of the code), void with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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

from outreach.domain.client_code import CODE_LENGTH, format_client_code, normalise_client_code
from outreach.errors import InvalidRecord
from outreach.records import Record, Void
from outreach.records.permissions import may_look_up_clients
from outreach.records.service_history import ServiceHistory
from outreach.store.purge import last_purge
from outreach.store.store import Changes, Store, StoredRecord
from outreach.store.summaries import summary_codes_matching
from outreach.ui import sync_api
from outreach.ui.client_history import load_client_history
from outreach.ui.context import AppContext
from outreach.ui.dates import format_date, format_datetime
from outreach.ui.dialogs.void_dialog import VoidDialog
from outreach.ui.models.records_model import NOT_LINKED, RecordsModel, type_label
from outreach.ui.widgets.client_panel import history_lines

LIMIT = 300
MATCHES = 8  # service-wide codes listed for a part of a code
MIN_PREFIX = 3


@dataclass(frozen=True)
class Found:
    """A History search: this device's rows, the service's view of a whole code, or the
    service-wide codes a part of a code could be."""

    code: str | None
    rows: list[StoredRecord]
    targets: dict[str, Record]
    service: ServiceHistory | None = None
    matches: tuple[str, ...] = ()
    purged: dt.date | None = None  # the last retention purge that deleted records here
    # Records up to this seq carry client codes made with the laptop's own key before
    # enrolment: History marks them "not linked" (0: none).
    local_codes_through: int = 0


def code_prefix(text: str) -> str:
    """A part of a code as the store keeps codes: no spaces or hyphens, upper case, I/L → 1,
    O → 0 (as `normalise_client_code` reads a whole one)."""
    return text.replace(" ", "").replace("-", "").upper().translate(str.maketrans("ILO", "110"))


def search_history(store: Store, code: str | None, prefix: str = "") -> Found:
    """A whole code: its rows here and the service's history; a part (`prefix`): the codes the
    service knows that start with it, searched at once when there is exactly one."""
    if code is None and prefix:
        matches = tuple(summary_codes_matching(store, prefix, MATCHES + 1))
        if len(matches) != 1:
            return Found(None, [], {}, matches=matches)
        code = matches[0]
    rows, targets = load_history(store, code)
    service = load_client_history(store, code) if code else None
    return Found(
        code,
        rows,
        targets,
        service,
        purged=last_purge(store.conn),
        local_codes_through=sync_api.local_codes_through(store),
    )


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
        prefix = ""
        if text:
            try:
                code = normalise_client_code(text)
            except InvalidRecord as exc:
                partial = self._partial(text, exc.message)
                if partial is None:
                    return
                prefix = partial
        self._code = code
        self.ctx.ops.store(lambda store: search_history(store, code, prefix)).success(
            self._show
        ).run()

    def _partial(self, text: str, problem: str) -> str | None:
        """A part of a code long enough to look up service-wide, else None (and say why)."""
        prefix = code_prefix(text)
        if not MIN_PREFIX <= len(prefix) < CODE_LENGTH:  # a whole code mistyped: say so
            self.message.setText(problem)
            return None
        return prefix

    def _show(self, found: Found) -> None:
        rows, targets, local = found.rows, found.targets, found.local_codes_through
        if (
            rows != self.model.rows()
            or targets != self.model.targets()
            or local != self.model.local_codes_through
        ):
            self.model.local_codes_through = local
            self.model.set_rows(rows, targets)  # a reset repaints every row: only on a change
        if found.code is None and self.search.text().strip():
            self.message.setText(self._matches_text(found.matches))
            return
        what = "for this client code on this device" if found.code else "on this device"
        text = f"{len(rows)} record(s) {what} (newest first)."
        if found.code:
            text = f"{format_client_code(found.code)}: {text} {self._service_text(found.service)}"
        elif found.purged:
            text += (
                f" Older records left this laptop on {format_date(found.purged)} after the hub "
                "confirmed them; the hub keeps them."
            )
        unlinked = sum(1 for stored in rows if self.model.not_linked(stored))
        if unlinked:
            text += (
                f" {unlinked} marked “{NOT_LINKED}”: client codes made with this laptop's own"
                " key before enrolment, which do not match the service's codes."
            )
        self.message.setText(text)

    @staticmethod
    def _matches_text(matches: tuple[str, ...]) -> str:
        if not matches:
            return "No client code in the service starts like that (as of the last sync)."
        shown = ", ".join(format_client_code(code) for code in matches[:MATCHES])
        more = " and more: type more of it" if len(matches) > MATCHES else ""
        return f"Service-wide codes starting like that: {shown}{more}."

    def _service_text(self, service: ServiceHistory | None) -> str:
        if service is None:
            return ""
        if service.is_new:
            return "The service has no record of this code (as of the last sync)."
        kits_only = not may_look_up_clients(self.ctx.role)
        lines = history_lines(service, self.ctx.vocab, dt.date.today(), kits_only=kits_only)
        line = " · ".join(lines[:-1])  # the last says where it comes from: said below
        when = f"as of {format_datetime(service.as_of)}" if service.as_of else "not synced yet"
        return f"Service-wide: {line} ({when})."

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
