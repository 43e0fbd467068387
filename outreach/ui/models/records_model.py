"""Recent records as a read-only table: the model holds plain rows, replaced in one reset."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from outreach.domain.client_code import format_client_code
from outreach.domain.vocab import Vocabulary
from outreach.records import Record, registry
from outreach.store.store import StoredRecord

COLUMNS = ("When", "Type", "Summary", "Client code", "Status")
Index = QModelIndex | QPersistentModelIndex


def type_label(record_type: str) -> str:
    """What a person calls a record type (its declaration's label)."""
    spec = registry.get(record_type)
    return record_type if spec is None else spec.label


def summary(record: Record, vocab: Vocabulary) -> str:
    """The Summary column: each type says what matters about one of its records."""
    spec = registry.get(record.type)
    return "" if spec is None else spec.summary(record, vocab)


class RecordsModel(QAbstractTableModel):
    def __init__(self, vocab: Vocabulary) -> None:
        super().__init__()
        self.vocab = vocab
        self._rows: list[StoredRecord] = []

    def set_rows(self, rows: list[StoredRecord]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def stored(self, row: int) -> StoredRecord:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return None
        stored = self._rows[index.row()]
        record = stored.record
        column = index.column()
        if column == 0:
            return f"{record.occurred_at:%d %b %H:%M}"
        if column == 1:
            return type_label(record.type)
        if column == 2:
            return summary(record, self.vocab)
        if column == 3:
            code = getattr(record, "client_code", None)
            return format_client_code(code) if code else ""
        return "active" if stored.active else "voided"
