"""Referral outcomes: a coordinator records what became of a referral, or imports the receiving
service's CSV (issue 15, item 3).

One outcome by keys: the referral code (as printed on the card), the outcome (chips), the date,
Ctrl+S. An import saves every line or none; when it saves none, each bad line is listed with its
field below the form (a fixed-height list: the form does not move).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from outreach.errors import InvalidRecord
from outreach.records import Record, ReferralOutcome
from outreach.records.referral_csv import referral_code
from outreach.records.validation import build_entered
from outreach.store.referral_import import ImportResult, OutcomeFileRefused, import_outcomes
from outreach.store.store import Changes, Store
from outreach.ui.context import AppContext
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.date_field import DateField
from outreach.ui.widgets.form_page import lay_out_form_page
from outreach.ui.widgets.keys import enter_advances
from outreach.ui.widgets.message_bar import MessageBar, refusal

PROBLEM_ROWS = 6


def save_outcome(store: Store, data: dict[str, Any]) -> tuple[Record, Changes]:
    record = build_entered(data, recorded_by=store.user)
    return record, store.add([record])


class ReferralOutcomesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        vocab = ctx.vocab
        self.code = QLineEdit()
        self.code.setAccessibleName("Referral code")
        self.code.setPlaceholderText("R-XXXX-XXXX, as printed on the card")
        self.code.setMaxLength(20)
        self.outcome = ChipGroup(
            vocab, "referral_outcome", name="Outcome", exclusive=True, columns=5
        )
        # a short form: the chips keep their height rather than share out the page's
        self.outcome.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.outcome_on = DateField("Date of the outcome")
        self.site = QComboBox()
        self.site.setAccessibleName("Site")
        for code in vocab.codes("site"):
            self.site.addItem(vocab.label("site", code), code)
        self.import_button = QPushButton("&Import a CSV from the service…")
        self.import_button.setAccessibleName("Import referral outcomes from a CSV file")
        self.problems = QListWidget()
        self.problems.setAccessibleName("Problems in the imported file")
        self.problems.setWordWrap(True)
        self.problems.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.problems.setFixedHeight(self.fontMetrics().lineSpacing() * PROBLEM_ROWS + 8)
        self.save_button = QPushButton("&Save outcome (Ctrl+S)")
        self.save_button.setAutoDefault(True)
        self.save_button.setAccessibleName("Save outcome")
        self.banner = MessageBar("Referral outcomes message")
        form = QFormLayout()
        form.addRow("&Referral code", self.code)
        form.addRow("Outcome", self.outcome)
        form.addRow("Date", self.outcome_on)
        form.addRow("Site", self.site)
        file_row = QHBoxLayout()
        file_row.addWidget(self.import_button)
        file_row.addStretch(1)
        form.addRow("From a file", file_row)
        form.addRow("File problems", self.problems)
        rest = QWidget()  # takes the height the short form does not need, so rows stay together
        rest.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        form.addRow(rest)
        self.scroll_area = lay_out_form_page(self, self.banner, form, self.save_button)
        self.save_button.clicked.connect(self.save)
        self.import_button.clicked.connect(self._choose_file)
        self.code.editingFinished.connect(self._tidy_code)
        enter_advances(self.code, self.outcome_on)
        self.reset()

    def first_field(self) -> QWidget:
        return self.code

    def _tidy_code(self) -> None:
        if self.code.text().strip():
            self.code.setText(referral_code(self.code.text()))

    def form_data(self) -> dict[str, Any]:
        day = self.outcome_on.date()
        return {
            "type": "referral_outcome",
            "site": self.site.currentData(),
            "referral_code": referral_code(self.code.text()),
            "outcome": self.outcome.value(),
            "outcome_on": day.isoformat() if day else None,
            "source": "recorded",
        }

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        data = self.form_data()
        if not data["referral_code"]:
            self._refuse("type the referral code from the card.", self.code)
            return
        if data["outcome"] is None:
            self._refuse("choose the outcome.", self.outcome.entry() or self.outcome)
            return
        if data["outcome_on"] is None:
            self._refuse(self.outcome_on.problem or "type the date (dd/mm/yyyy).", self.outcome_on)
            return
        self.save_button.setEnabled(False)
        self.ctx.ops.store(lambda store: save_outcome(store, data)).success(self._saved).failure(
            self._failed
        ).run()

    def _refuse(self, text: str, field: QWidget) -> None:
        self.banner.error(f"Not saved: {text}")
        field.setFocus()

    def _saved(self, result: tuple[Record, Changes]) -> None:
        record, _ = result
        self.save_button.setEnabled(True)
        self.ctx.remember(default_site=self.site.currentData())
        if isinstance(record, ReferralOutcome):
            label = self.ctx.vocab.label("referral_outcome", record.outcome)
            self.banner.saved(
                f"Saved: {record.referral_code} {label}.", lambda: self.undo(record.id)
            )
        self.reset()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.import_button.setEnabled(True)
        if isinstance(error, OutcomeFileRefused):
            self.banner.error(
                f"Nothing was saved: {len(error.errors)} line(s) of the file have problems "
                "(listed below). Correct them and import the whole file again."
            )
            self.problems.clear()
            self.problems.addItems([str(problem) for problem in error.errors])
        elif isinstance(error, InvalidRecord):
            self.banner.error(refusal(error))
        else:
            self.ctx.ops.report_error(error)

    def undo(self, record_id: str) -> None:
        self.ctx.ops.store(lambda store: store.void(record_id, "entered_in_error")).success(
            lambda _: self.banner.info("Undone: the outcome was voided.")
        ).run()

    # -- import --------------------------------------------------------------------------------

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import referral outcomes", "", "CSV files (*.csv);;All files (*)"
        )
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        """Read and import `path` on the store thread (all lines or none)."""
        site = self.site.currentData()
        self.problems.clear()
        self.import_button.setEnabled(False)

        def work(store: Store) -> tuple[ImportResult, Changes | None]:
            result = import_outcomes(store, path.read_bytes(), site)
            return result, result.changes  # the changes go out to every view

        self.ctx.ops.store(work).success(self._imported).failure(self._import_failed).run()

    def _import_failed(self, error: BaseException) -> None:
        if isinstance(error, OSError):
            self.import_button.setEnabled(True)
            self.banner.error(f"Could not read the file: {error.strerror or error}")
            return
        self._failed(error)

    def _imported(self, done: tuple[ImportResult, Changes | None]) -> None:
        result = done[0]
        self.import_button.setEnabled(True)
        skipped = f"; {result.already} already recorded" if result.already else ""
        self.banner.info(f"Imported {result.saved} outcome(s){skipped}.")

    def reset(self) -> None:
        index = self.site.findData(self.ctx.settings.default_site)
        if index >= 0:
            self.site.setCurrentIndex(index)
        self.code.clear()
        self.outcome.set_selected([])
        self.outcome_on.set_date(dt.date.today())
        self.code.setFocus()
