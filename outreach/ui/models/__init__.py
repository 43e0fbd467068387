"""Table models of our own (QAbstractTableModel; no QStandardItemModel.setItem)."""
