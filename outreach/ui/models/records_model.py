"""Recent records as a read-only table: the model holds plain rows, replaced in one reset.

People see labels, never codes or record ids (STYLE 19): a void says what it voided, by type
and time, from the voided record handed in beside the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from outreach.domain.client_code import format_client_code
from outreach.domain.vocab import Vocabulary
from outreach.records import Record, Void, registry
from outreach.store.store import StoredRecord
from outreach.ui.dates import format_datetime

COLUMNS = ("When", "Type", "Summary", "Client code", "Status")
NOT_LINKED = "not linked"
NOT_LINKED_TIP = (
    "Made with this laptop's own key before it was enrolled: the service gives this person a "
    "different code, so this record is not linked to their service-wide history."
)
Index = QModelIndex | QPersistentModelIndex


def type_label(record_type: str) -> str:
    """What a person calls a record type (its declaration's label)."""
    spec = registry.get(record_type)
    return record_type if spec is None else spec.label


def void_summary(void: Void, target: Record | None, vocab: Vocabulary) -> str:
    """`Void of contact 12 Nov 2026 14:02 (entered in error)`."""
    reason = vocab.label("void_reason", void.reason)
    if target is None:  # purged after sync, or not on this device
        return f"Void of a record no longer on this device ({reason})"
    what = type_label(target.type).lower() if registry.get(target.type) else "record"
    return f"Void of {what} {format_datetime(target.occurred_at)} ({reason})"


def summary(record: Record, vocab: Vocabulary, targets: Mapping[str, Record] | None = None) -> str:
    """The Summary column: each type says what matters about one of its records; a void
    names what it voided (the target, handed in beside the rows)."""
    if isinstance(record, Void):
        return void_summary(record, (targets or {}).get(record.target), vocab)
    spec = registry.get(record.type)
    return "" if spec is None else spec.summary(record, vocab)


class RecordsModel(QAbstractTableModel):
    def __init__(self, vocab: Vocabulary) -> None:
        super().__init__()
        self.vocab = vocab
        self._rows: list[StoredRecord] = []
        self._targets: dict[str, Record] = {}
        self.local_codes_through = 0  # records up to this seq have codes from the local key

    def not_linked(self, stored: StoredRecord) -> bool:
        """Whether the record's client code was made with the laptop's own key (pre-enrolment)."""
        has_code = bool(getattr(stored.record, "client_code", None))
        return has_code and stored.device_seq <= self.local_codes_through

    def set_rows(
        self, rows: list[StoredRecord], targets: Mapping[str, Record] | None = None
    ) -> None:
        """`targets`: the records that voids among `rows` voided, by id."""
        self.beginResetModel()
        self._rows = list(rows)
        self._targets = dict(targets or {})
        self.endResetModel()

    def rows(self) -> list[StoredRecord]:
        return self._rows

    def targets(self) -> dict[str, Record]:
        return self._targets

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
        if not index.isValid():
            return None
        stored = self._rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return NOT_LINKED_TIP if self.not_linked(stored) else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return None
        record = stored.record
        column = index.column()
        if column == 0:
            return format_datetime(record.occurred_at)
        if column == 1:
            return type_label(record.type)
        if column == 2:
            return summary(record, self.vocab, self._targets)
        if column == 3:
            code = getattr(record, "client_code", None)
            if not code:
                return ""
            shown = format_client_code(code)
            return f"{shown} ({NOT_LINKED})" if self.not_linked(stored) else shown
        return "active" if stored.active else "voided"
