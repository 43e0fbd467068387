"""Follow-ups due: survivors of a non-fatal overdose to follow up (issue 15, item 2).

The list (`outreach.reports.follow_ups.due_follow_ups`) holds the events of the whole service
(through the client summaries pulled at sync) and this device's own, soonest deadline first,
narrowed to the areas this device covers (a setting: postcode districts or their prefixes; empty
is every area). Keyboard first (STYLE 19): the list is the first stop; Enter (or the button)
opens the follow-up form below it, filled with the event; the outcome chips are one Tab stop;
Ctrl+S saves. Nothing moves: the form is always there, disabled until an event is chosen. No
free text about the person: the list shows the client code, the day and area of the overdose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from outreach.domain.client_code import format_client_code
from outreach.errors import InvalidRecord
from outreach.records import Record
from outreach.records.follow_up import UK, FollowUpWindow, Status
from outreach.records.validation import build_entered
from outreach.reports.follow_ups import DueFollowUp, due_follow_ups
from outreach.store.store import Changes, Store
from outreach.sync.reference import follow_up_window
from outreach.ui.context import AppContext
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.date_field import DateField, show_date
from outreach.ui.widgets.message_bar import MessageBar, refusal

COLUMNS = ("Due by", "Status", "Overdose", "Area", "Client code")
STATUS_TEXT = {
    Status.NOT_YET: "Not yet due",
    Status.DUE: "Due now",
    Status.OVERDUE: "Overdue",
}


def load(
    store: Store, areas: list[str], now: dt.datetime | None = None
) -> tuple[FollowUpWindow, list[DueFollowUp]]:
    """On the store thread: the window in force and the list."""
    rule = follow_up_window(store)
    return rule, due_follow_ups(store, now or dt.datetime.now(dt.UTC), rule, areas)


def save_follow_up(store: Store, data: dict[str, Any]) -> tuple[Record, Changes]:
    """On the store thread; the changes are broadcast (the list and History refresh)."""
    record = build_entered(data, recorded_by=store.user)
    return record, store.add([record])


def _when(moment: dt.datetime) -> str:
    local = moment.astimezone(UK)
    return f"{show_date(local.date())} {local:%H:%M}"


class ListTable(QTableWidget):
    """The list; Enter opens the chosen event's form (a table otherwise eats Enter)."""

    def __init__(self, rows: int, columns: int, on_enter: Any) -> None:
        super().__init__(rows, columns)
        self._on_enter = on_enter

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._on_enter()
            return
        super().keyPressEvent(event)


class FollowUpsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        vocab = ctx.vocab
        self.banner = MessageBar("Follow-ups message")
        self.heading = QLabel()
        self.heading.setAccessibleName("Follow-ups due")
        self.heading.setWordWrap(True)
        # two lines kept whatever it says (or before the list arrives), so nothing below moves
        self.heading.setFixedHeight(self.heading.fontMetrics().lineSpacing() * 2 + 4)
        self.areas = QLineEdit(ctx.settings.follow_up_areas or "")
        self.areas.setAccessibleName("Areas this device covers (empty: every area)")
        self.areas.setPlaceholderText("e.g. LS6, LS7 or LS (empty: every area)")
        self.table = ListTable(0, len(COLUMNS), self.choose)
        self.table.setAccessibleName("Follow-ups due, soonest deadline first")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.open_button = QPushButton("&Follow up the chosen event (Enter)")
        self.open_button.setAccessibleName("Follow up the chosen event")
        self.event_label = QLabel("Choose an event in the list.")
        self.event_label.setAccessibleName("Event followed up")
        self.site = QComboBox()
        self.site.setAccessibleName("Site")
        for code in vocab.codes("site"):
            self.site.addItem(vocab.label("site", code), code)
        self.day = DateField("Date of the follow-up")
        self.time = QLineEdit()
        self.time.setAccessibleName("Time of the follow-up (24-hour)")
        self.time.setMaxLength(5)
        self.outcome = ChipGroup(vocab, "follow_up_outcome", name="Outcome", exclusive=True)
        self.save_button = QPushButton("&Save follow-up (Ctrl+S)")
        self.save_button.setAccessibleName("Save follow-up")
        self._lay_out()
        self.items: list[DueFollowUp] = []
        self.chosen: DueFollowUp | None = None
        self.rule = FollowUpWindow()
        self.open_button.clicked.connect(self.choose)
        self.save_button.clicked.connect(self.save)
        self.areas.editingFinished.connect(self._areas_changed)
        ctx.changes.connect(self._changed)
        self._clear_form()
        self.refresh()

    def _lay_out(self) -> None:
        top = QFormLayout()
        top.addRow("Areas covered", self.areas)
        form = QFormLayout()
        form.addRow("Event", self.event_label)
        when = QHBoxLayout()
        when.addWidget(self.day, 2)
        when.addWidget(self.time, 1)
        form.addRow("Date / time", when)
        form.addRow("Site", self.site)
        form.addRow("Outcome", self.outcome)
        self.form_box = QWidget()
        self.form_box.setLayout(form)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.heading)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.form_box)
        layout.addWidget(self.save_button)
        self.setTabOrder(self.table, self.open_button)
        self.setTabOrder(self.open_button, self.outcome)

    def first_field(self) -> QWidget:
        return self.table

    def activated(self) -> None:
        self.refresh()

    def _changed(self, changes: Changes) -> None:
        if changes.touches("overdose_event", "follow_up", "void"):
            self.refresh()

    def _area_list(self) -> list[str]:
        return [part for part in self.areas.text().replace(";", ",").split(",") if part.strip()]

    def _areas_changed(self) -> None:
        self.ctx.remember(follow_up_areas=self.areas.text().strip() or None)
        self.refresh()

    def refresh(self) -> None:
        areas = self._area_list()
        self.ctx.ops.store(lambda store: load(store, areas)).success(self.show_list).run()

    def show_list(self, loaded: tuple[FollowUpWindow, list[DueFollowUp]]) -> None:
        self.rule, self.items = loaded
        window = f"{self.rule.from_hours}–{self.rule.until_hours} hours after the overdose"
        where = ", ".join(self._area_list()) or "every area"
        if self.items:
            due = sum(1 for item in self.items if item.status is Status.DUE)
            self.heading.setText(
                f"{len(self.items)} survivor(s) to follow up in {where} ({due} due now); "
                f"a follow-up is due {window}."
            )
        else:
            self.heading.setText(f"No follow-ups due in {where} (due {window}).")
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            happened = show_date(item.occurred_on) + (
                f" {item.occurred_time}" if item.occurred_time else ""
            )
            cells = (
                _when(item.due_until),
                STATUS_TEXT.get(item.status, item.status.value),
                happened,
                item.area,
                format_client_code(item.client_code),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if self.items and self.table.currentRow() < 0:
            self.table.setCurrentCell(0, 0)
        if self.chosen is not None and self.chosen.event_id not in {
            item.event_id for item in self.items
        }:
            self._clear_form()

    # -- the form ------------------------------------------------------------------------------

    def choose(self) -> None:
        """Fill the form with the chosen event and move to its outcome."""
        row = self.table.currentRow()
        if not 0 <= row < len(self.items):
            self.banner.info("Choose an event in the list first (arrow keys, then Enter).")
            return
        self.chosen = item = self.items[row]
        self.event_label.setText(
            f"Overdose on {show_date(item.occurred_on)}"
            f"{' at ' + item.occurred_time if item.occurred_time else ''} in {item.area}, "
            f"client {format_client_code(item.client_code)}; due by {_when(item.due_until)}"
        )
        now = dt.datetime.now(UK)
        self.day.set_date(now.date())
        self.time.setText(f"{now:%H:%M}")
        index = self.site.findData(self.ctx.settings.default_site)
        if index >= 0:
            self.site.setCurrentIndex(index)
        self.outcome.set_selected([])
        self.form_box.setEnabled(True)
        self.save_button.setEnabled(True)
        self._focus_outcome()

    def _focus_outcome(self) -> None:
        chip = self.outcome.first()
        (chip or self.outcome).setFocus()

    def _clear_form(self) -> None:
        self.chosen = None
        self.event_label.setText("Choose an event in the list (arrow keys, then Enter).")
        self.day.set_date(None)
        self.time.clear()
        self.outcome.set_selected([])
        self.form_box.setEnabled(False)
        self.save_button.setEnabled(False)

    def form_data(self) -> dict[str, Any] | None:
        """The record's data, or None with the problem shown (and focus on its field)."""
        item, day = self.chosen, self.day.date()
        if item is None:
            self.banner.info("Choose an event in the list first (arrow keys, then Enter).")
            self.table.setFocus()
            return None
        if day is None:
            self.banner.error("Not saved: type the date of the follow-up (dd/mm/yyyy).")
            self.day.setFocus()
            return None
        try:
            hour, minute = (int(part) for part in self.time.text().strip().split(":"))
            moment = dt.datetime.combine(day, dt.time(hour, minute), UK)
        except ValueError:
            self.banner.error("Not saved: type the time of the follow-up, e.g. 14:05.")
            self.time.setFocus()
            return None
        if not self.outcome.value():
            self.banner.error("Not saved: choose the outcome of the follow-up.")
            self._focus_outcome()
            return None
        return {
            "type": "follow_up",
            "site": self.site.currentData(),
            "overdose_event_id": item.event_id,
            "client_code": item.client_code,
            "outcome": self.outcome.value(),
            "occurred_at": moment.astimezone(dt.UTC).isoformat(),
        }

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        data = self.form_data()
        if data is None:
            return
        self.save_button.setEnabled(False)
        self.ctx.ops.store(lambda store: save_follow_up(store, data)).success(self._saved).failure(
            self._failed
        ).run()

    def _saved(self, result: tuple[Record, Changes]) -> None:
        record, _ = result
        self._clear_form()
        self.banner.saved("Saved the follow-up: it is off the list.", lambda: self.undo(record.id))
        self.table.setFocus()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, InvalidRecord):
            self.banner.error(refusal(error))
        else:
            self.ctx.ops.report_error(error)

    def undo(self, record_id: str) -> None:
        self.ctx.ops.store(lambda store: store.void(record_id, "entered_in_error")).success(
            lambda _: self.banner.info("Undone: the follow-up was voided; the event is due again.")
        ).run()
