"""Sync receipts (one row per batch the hub acknowledged), as our own table model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from outreach.ui.dates import format_datetime

COLUMNS = (
    ("received_at", "Received"),
    ("batch_id", "Batch"),
    ("acked_through", "Acked through"),
    ("accepted", "Accepted"),
    ("quarantined", "Quarantined"),
)
Index = QModelIndex | QPersistentModelIndex


def field(item: Any, name: str) -> Any:
    """Receipts may be dataclasses, Structs or dicts: read them all the same way."""
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


class ReceiptsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def quarantined_total(self) -> int:
        return sum(int(field(r, "quarantined") or 0) for r in self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        value = field(self._rows[index.row()], COLUMNS[index.column()][0])
        if isinstance(value, dt.datetime):
            return format_datetime(value)
        if isinstance(value, list | tuple):
            return str(len(value))
        return "" if value is None else str(value)
