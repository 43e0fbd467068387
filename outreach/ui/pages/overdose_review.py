"""Overdose review: the coordinator's list of fatal overdose events (issue 15, item 1).

Read from this device's store (`outreach.reports.overdoses.fatal_events`), newest first, and
refreshed after every write that touches overdose events. Codes shown as labels; the area is
a postcode district; there is no client code and no free text on it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from outreach.reports.overdoses import FatalEvent, fatal_events
from outreach.store.store import Changes
from outreach.ui.context import AppContext
from outreach.ui.widgets.date_field import show_date

COLUMNS = ("Date", "Time", "Area", "Where", "Substances", "Naloxone", "Ambulance", "Recorded by")


class OverdoseReviewPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.heading = QLabel()
        self.heading.setAccessibleName("Fatal overdoses")
        self.heading.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Fatal overdose events to review")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        self.events: list[FatalEvent] = []
        ctx.changes.connect(self._changed)
        self.refresh()

    def first_field(self) -> QWidget:
        return self.table

    def activated(self) -> None:
        self.refresh()

    def _changed(self, changes: Changes) -> None:
        if changes.touches("overdose_event", "void"):
            self.refresh()

    def refresh(self) -> None:
        self.ctx.ops.store(fatal_events).success(self.show_events).run()

    def show_events(self, events: list[FatalEvent]) -> None:
        self.events = events
        vocab = self.ctx.vocab
        if events:
            self.heading.setText(
                f"{len(events)} fatal overdose event(s) recorded on this device, newest "
                "first: review each with the team (practice after a death)."
            )
        else:
            self.heading.setText("No fatal overdose events recorded on this device.")
        self.table.setRowCount(len(events))
        for row, event in enumerate(events):
            cells = (
                show_date(event.occurred_on),
                event.occurred_time or "",
                event.area,
                vocab.label("location_type", event.location_type),
                ", ".join(vocab.label("substance", s) for s in event.substances) or "Not known",
                vocab.label("yes_no_unknown", event.naloxone_given),
                vocab.label("yes_no_unknown", event.ambulance_called),
                event.recorded_by,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
