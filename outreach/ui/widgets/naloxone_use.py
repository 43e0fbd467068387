"""The naloxone-use report, shown when a kit is resupplied because the last one was used."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QSpinBox, QWidget

from outreach.domain.vocab import Vocabulary
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.date_field import DateField


class NaloxoneUseBox(QGroupBox):
    def __init__(self, vocab: Vocabulary, parent: QWidget | None = None) -> None:
        super().__init__("Naloxone use report", parent)
        self.setAccessibleName("Naloxone use report")
        self.occurred_on = DateField("Date the kit was used")
        self.occurred_on.set_date(dt.date.today())
        self.location = ChipGroup(vocab, "location_type", name="Where", exclusive=True)
        self.administered_by = ChipGroup(vocab, "administered_by", name="Given by", exclusive=True)
        self.doses = QSpinBox()
        self.doses.setRange(1, 10)
        self.doses.setAccessibleName("Doses given")
        self.ambulance = ChipGroup(vocab, "yes_no_unknown", name="Ambulance called", exclusive=True)
        self.stayed = ChipGroup(
            vocab, "yes_no_unknown", name="Stayed with the person", exclusive=True
        )
        self.outcome = ChipGroup(vocab, "outcome", name="Outcome", exclusive=True)
        form = QFormLayout(self)
        form.addRow("Date used", self.occurred_on)
        form.addRow("Where", self.location)
        form.addRow("Given by", self.administered_by)
        form.addRow("Doses", self.doses)
        form.addRow("Ambulance", self.ambulance)
        form.addRow("Stayed with", self.stayed)
        form.addRow("Outcome", self.outcome)

    def data(self, site: str, product: str) -> dict[str, Any]:
        day = self.occurred_on.date()
        return {
            "type": "naloxone_use",
            "site": site,
            "occurred_on": day.isoformat() if day else None,
            "location_type": self.location.value() or "unknown",
            "administered_by": self.administered_by.value() or "unknown",
            "product": product,
            "doses": self.doses.value(),
            "ambulance_called": self.ambulance.value() or "unknown",
            "stayed_with_person": self.stayed.value() or "unknown",
            "outcome": self.outcome.value() or "unknown",
        }

    def reset(self) -> None:
        self.occurred_on.set_date(dt.date.today())
        self.doses.setValue(1)
        for group in (self.location, self.administered_by, self.ambulance, self.stayed):
            group.set_selected([])
        self.outcome.set_selected([])
