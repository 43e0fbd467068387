"""Record overdose: an overdose a worker witnessed or was told of (issue 15, item 1).

Keyboard as the other forms (STYLE 19): each chip group is one Tab stop, arrows move within it,
Space toggles, Enter moves on, Ctrl+S saves from anywhere. Nothing moves as it is filled in: the
naloxone details are disabled (not hidden) unless naloxone was given, and the survivor's code is
disabled when the person died. No free text anywhere.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from outreach.errors import InvalidRecord
from outreach.records import OverdoseEvent, Record
from outreach.records.overdose_event import MAX_DOSES
from outreach.records.validation import build_entered, normalise_area
from outreach.store.store import Changes, Store
from outreach.ui import sync_api
from outreach.ui.context import AppContext
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.client_code import ClientCodeBox
from outreach.ui.widgets.date_field import DateField
from outreach.ui.widgets.form_page import lay_out_form_page
from outreach.ui.widgets.keys import enter_advances
from outreach.ui.widgets.message_bar import MessageBar, refusal

log = logging.getLogger(__name__)


def save_overdose(store: Store, data: dict[str, Any]) -> tuple[Record, Changes]:
    """On the store thread: the core's rules for a new entry."""
    record = build_entered(data, recorded_by=store.user)
    return record, store.add([record])


class RecordOverdosePage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        vocab = ctx.vocab
        self.occurred_on = DateField("Date of the overdose")
        self.occurred_time = QLineEdit()
        self.occurred_time.setAccessibleName("Time of the overdose (24-hour, optional)")
        self.occurred_time.setPlaceholderText("e.g. 21:40 (optional)")
        self.occurred_time.setMaxLength(5)
        self.site = QComboBox()
        self.site.setAccessibleName("Site")
        for code in vocab.codes("site"):
            self.site.addItem(vocab.label("site", code), code)
        self.area = QLineEdit()
        self.area.setAccessibleName("Area (postcode district or NFA)")
        self.area.setPlaceholderText("e.g. LS6 or NFA")
        self.source = ChipGroup(vocab, "overdose_source", name="How known", exclusive=True)
        self.location = ChipGroup(vocab, "location_type", name="Where", exclusive=True)
        self.substances = ChipGroup(vocab, "substance", name="Substances suspected", columns=3)
        self.naloxone = ChipGroup(vocab, "yes_no_unknown", name="Naloxone given", exclusive=True)
        self.administered_by = ChipGroup(vocab, "administered_by", name="Given by", exclusive=True)
        self.doses = QSpinBox()
        self.doses.setAccessibleName("Doses given")
        self.doses.setRange(0, MAX_DOSES)
        self.doses.setSpecialValueText("Not known")  # 0 shows as "Not known"
        self.kit_owner = ChipGroup(vocab, "kit_owner", name="Whose kit", exclusive=True, columns=3)
        self.ambulance = ChipGroup(vocab, "yes_no_unknown", name="Ambulance called", exclusive=True)
        self.hospital = ChipGroup(vocab, "yes_no_unknown", name="Taken to hospital", exclusive=True)
        self.outcome = ChipGroup(vocab, "outcome", name="Outcome", exclusive=True)
        self.client = ClientCodeBox()
        self.save_button = QPushButton("&Save overdose (Ctrl+S)")
        self.save_button.setAutoDefault(True)
        self.save_button.setAccessibleName("Save overdose")
        self.banner = MessageBar("Record overdose message")
        self._build_layout()
        self.naloxone.changed.connect(self._naloxone_changed)
        self.outcome.changed.connect(self._outcome_changed)
        self.save_button.clicked.connect(self.save)
        enter_advances(self.occurred_on, self.occurred_time, self.area)
        self.reset()
        self.ctx.ops.store(sync_api.service_key).success(self._got_key).run()

    def _build_layout(self) -> None:
        form = QFormLayout()
        when = QHBoxLayout()
        when.addWidget(self.occurred_on, 2)
        when.addWidget(self.occurred_time, 1)
        form.addRow("Date / time", when)
        where = QHBoxLayout()
        where.addWidget(self.site, 2)
        where.addWidget(self.area, 1)
        form.addRow("Site / area", where)
        form.addRow("How known", self.source)
        form.addRow("Where", self.location)
        form.addRow("Substances", self.substances)
        form.addRow("Naloxone given", self.naloxone)
        form.addRow("Given by", self.administered_by)
        form.addRow("Doses", self.doses)
        form.addRow("Whose kit", self.kit_owner)
        form.addRow("Ambulance", self.ambulance)
        form.addRow("To hospital", self.hospital)
        form.addRow("Outcome", self.outcome)
        form.addRow("Survivor's code", self.client)
        self.scroll_area = lay_out_form_page(self, self.banner, form, self.save_button)

    def first_field(self) -> QWidget:
        return self.occurred_on

    def _got_key(self, key: bytes) -> None:
        self.client.service_key = key

    def _naloxone_changed(self) -> None:
        given = self.naloxone.value() == "yes"
        for widget in (self.administered_by, self.doses, self.kit_owner):
            widget.setEnabled(given)

    def _outcome_changed(self) -> None:
        self.client.setEnabled(self.outcome.value() != "died")

    # -- save / undo ---------------------------------------------------------------------------

    def form_data(self) -> dict[str, Any]:
        day = self.occurred_on.date()
        area = self.area.text().strip()
        given = self.naloxone.value() or "unknown"
        data: dict[str, Any] = {
            "type": "overdose_event",
            "site": self.site.currentData(),
            "area": normalise_area(area) if area else "",
            "occurred_on": day.isoformat() if day else None,
            "occurred_time": self.occurred_time.text().strip() or None,
            "location_type": self.location.value() or "unknown",
            "source": self.source.value() or "unknown",
            "substances": self.substances.selected(),
            "naloxone_given": given,
            "ambulance_called": self.ambulance.value() or "unknown",
            "taken_to_hospital": self.hospital.value() or "unknown",
            "outcome": self.outcome.value() or "unknown",
            "client_code": self.client.value() if self.client.isEnabled() else None,
        }
        if given == "yes":
            data["administered_by"] = self.administered_by.value() or "unknown"
            data["doses"] = self.doses.value() or None
            data["kit_owner"] = self.kit_owner.value() or "unknown"
        return data

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        data = self.form_data()
        missing = self._missing(data)
        if missing is not None:
            message, field = missing
            self.banner.error(f"Not saved: {message}")
            field.setFocus()
            return
        self.save_button.setEnabled(False)
        self.ctx.ops.store(lambda store: save_overdose(store, data)).success(self._saved).failure(
            self._failed
        ).run()

    def _missing(self, data: dict[str, Any]) -> tuple[str, QWidget] | None:
        if data["occurred_on"] is None:
            problem = self.occurred_on.problem or "type the date of the overdose"
            return f"{problem} (dd/mm/yyyy).", self.occurred_on
        if not data["area"]:
            return "type the area (postcode district such as LS6, or NFA).", self.area
        return None

    def _saved(self, result: tuple[Record, Changes]) -> None:
        record, _ = result
        self.save_button.setEnabled(True)
        data = self.form_data()
        self.ctx.remember(default_site=data["site"], default_area=data["area"])
        fatal = isinstance(record, OverdoseEvent) and record.outcome == "died"
        died = " It is on the coordinator's review list." if fatal else ""
        self.banner.saved(f"Saved the overdose.{died}", lambda: self.undo(record.id))
        self.reset()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, InvalidRecord):
            self.banner.error(refusal(error))
        else:
            self.ctx.ops.report_error(error)

    def undo(self, record_id: str) -> None:
        self.ctx.ops.store(lambda store: store.void(record_id, "entered_in_error")).success(
            lambda _: self.banner.info("Undone: the overdose was voided.")
        ).run()

    # -- kept over a lock (memory only; `outreach.ui.drafts`) -------------------------------------

    def _groups(self) -> dict[str, ChipGroup]:
        return {
            "source": self.source,
            "location": self.location,
            "substances": self.substances,
            "naloxone": self.naloxone,
            "administered_by": self.administered_by,
            "kit_owner": self.kit_owner,
            "ambulance": self.ambulance,
            "hospital": self.hospital,
            "outcome": self.outcome,
        }

    def _state(self) -> dict[str, Any]:
        """What was entered (the survivor's code, never the initials or date of birth)."""
        return {
            "occurred_on": self.occurred_on.text(),
            "occurred_time": self.occurred_time.text(),
            "site": self.site.currentData(),
            "area": self.area.text(),
            "doses": self.doses.value(),
            "client_code": self.client.value(),
            **{name: group.selected() for name, group in self._groups().items()},
        }

    def draft(self) -> dict[str, Any] | None:
        """The form in progress, or None when it holds only its defaults (or is saving)."""
        if not self.save_button.isEnabled():
            return None
        state = self._state()
        return state if state != self._clean else None

    def restore_draft(self, state: dict[str, Any]) -> None:
        self.occurred_on.setText(state["occurred_on"])
        self.occurred_time.setText(state["occurred_time"])
        index = self.site.findData(state["site"])
        if index >= 0:
            self.site.setCurrentIndex(index)
        self.area.setText(state["area"])
        for name, group in self._groups().items():
            group.set_selected(state[name])
        self._naloxone_changed()
        self._outcome_changed()
        self.doses.setValue(state["doses"])
        self.client.set_code(state["client_code"])

    def reset(self) -> None:
        """Empty the form; the site and area are remembered, the date is today."""
        settings = self.ctx.settings
        index = self.site.findData(settings.default_site)
        if index >= 0:
            self.site.setCurrentIndex(index)
        self.area.setText(settings.default_area or "")
        self.occurred_on.set_date(dt.date.today())
        self.occurred_time.clear()
        for group in self._groups().values():
            group.set_selected([])
        self.doses.setValue(0)
        self.client.reset()
        self._naloxone_changed()
        self._outcome_changed()
        self.occurred_on.setFocus()
        self._clean = self._state()
