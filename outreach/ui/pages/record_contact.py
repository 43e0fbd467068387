"""Record contact: keyboard-first form; saves off the UI thread; undo within 10 s."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from outreach.domain.ids import new_referral_code
from outreach.domain.risk import added_factors, assess_risk
from outreach.errors import InvalidRecord
from outreach.records import Record
from outreach.records.service_history import ServiceHistory, carried_factors
from outreach.records.validation import build_entered, normalise_area
from outreach.store.store import Changes, Store
from outreach.store.vocabulary import current_vocabulary
from outreach.ui import sync_api
from outreach.ui.context import AppContext
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.client_code import ClientCodeBox
from outreach.ui.widgets.client_panel import CarriedFactors, ClientPanel, kits_only_for, look_up
from outreach.ui.widgets.form_page import lay_out_form_page
from outreach.ui.widgets.keys import enter_advances
from outreach.ui.widgets.message_bar import MessageBar, refusal
from outreach.ui.widgets.risk_panel import RiskPanel

log = logging.getLogger(__name__)


def save_contact(store: Store, data: dict[str, Any]) -> tuple[Record, Changes]:
    """On the store thread: the core's rules for a new entry (an empty contact is refused)."""
    record = build_entered(data, recorded_by=store.user, vocab=current_vocabulary(store))
    return record, store.add([record])


class RecordContactPage(QWidget):
    kit_requested = Signal(str, object)  # contact id, client code

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        vocab = ctx.vocab
        self.client = ClientCodeBox()
        self.client_history = ClientPanel()  # fixed height: the summary arriving moves nothing
        self.history: ServiceHistory | None = None
        self.site = QComboBox()
        self.site.setAccessibleName("Site")
        for code in vocab.codes("site"):
            self.site.addItem(vocab.label("site", code), code)
        self.area = QLineEdit()
        self.area.setAccessibleName("Area (postcode district or NFA)")
        self.area.setPlaceholderText("e.g. LS6 or NFA")
        self.setting = ChipGroup(vocab, "setting", name="Setting", exclusive=True, columns=4)
        self.age_band = ChipGroup(vocab, "age_band", name="Age band", exclusive=True)
        self.gender = ChipGroup(vocab, "gender", name="Gender", exclusive=True, columns=5)
        self.in_treatment = ChipGroup(vocab, "in_treatment", name="In treatment", exclusive=True)
        self.injecting = ChipGroup(vocab, "injecting", name="Injecting", exclusive=True)
        self.substances = ChipGroup(vocab, "substance", name="Substances", columns=3)
        self.risk_factors = ChipGroup(vocab, "risk_factor", name="Risk factors", columns=3)
        self.carried = CarriedFactors(self.risk_factors)  # sticky factors from earlier contact
        self.interventions = ChipGroup(vocab, "intervention", name="Interventions", columns=3)
        self.referrals = ChipGroup(vocab, "referral_to", name="Referrals", columns=3)
        self.referral_codes: dict[str, str] = {}
        self.referral_text = QLabel()
        self.referral_text.setAccessibleName("Referral codes")
        self.print_button = QPushButton("&Print referral card…")
        self.print_button.setEnabled(False)
        self.risk = RiskPanel()
        self.save_button = QPushButton("&Save contact (Ctrl+S)")
        self.save_button.setAutoDefault(True)  # Enter on it presses it, as Space does
        self.save_button.setAccessibleName("Save contact")
        self.banner = MessageBar("Record contact message")
        self._build_layout()
        self._connect()
        self._restore_defaults()
        self._clean = self._state()
        self.ctx.ops.store(sync_api.service_key).success(self._got_key).run()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("&Client code", self.client)
        form.addRow("", self.client_history)
        where = QHBoxLayout()
        where.addWidget(self.site, 2)
        where.addWidget(self.area, 1)
        form.addRow("Site / area", where)
        form.addRow("Setting", self.setting)
        form.addRow("Age band", self.age_band)
        form.addRow("Gender", self.gender)
        form.addRow("In treatment", self.in_treatment)
        form.addRow("Injecting", self.injecting)
        form.addRow("Substances", self.substances)
        form.addRow("Risk factors", self.risk_factors)
        form.addRow("Interventions", self.interventions)
        form.addRow("Referrals", self.referrals)
        referral_row = QHBoxLayout()
        referral_row.addWidget(self.referral_text, 1)
        referral_row.addWidget(self.print_button)
        form.addRow("", referral_row)
        self.scroll_area = lay_out_form_page(self, self.banner, form, self.save_button, self.risk)

    def _connect(self) -> None:
        self.client.code_changed.connect(self._code_changed)
        self.risk_factors.changed.connect(self.carried.check)  # before the risk is worked out
        for group in (self.substances, self.risk_factors, self.injecting, self.age_band):
            group.changed.connect(self._update_risk)
        self.referrals.changed.connect(self._update_referrals)
        self.print_button.clicked.connect(self._print_card)
        self.save_button.clicked.connect(self.save)
        # Ctrl+S / Ctrl+Return: the workspace's shortcuts call `save` from anywhere on the page.
        enter_advances(self.area)
        self.client.completed.connect(self._client_done)

    def first_field(self) -> QWidget:
        return self.client.initials

    def _client_done(self) -> None:
        """The code is made (or typed): on to the first thing about the person."""
        entry = self.age_band.entry()
        if entry is not None:
            entry.setFocus()

    def _got_key(self, key: bytes) -> None:
        self.client.service_key = key

    def _restore_defaults(self) -> None:
        settings = self.ctx.settings
        index = self.site.findData(settings.default_site)
        if index >= 0:
            self.site.setCurrentIndex(index)
        self.area.setText(settings.default_area or "")
        self.setting.set_selected([settings.default_setting or "street"])
        self._update_risk()

    # -- live feedback -------------------------------------------------------------------------

    def _code_changed(self, code: str | None) -> None:
        """A new code: the last one's history and carried factors go; this one's are looked up
        (service-wide summary merged with this device's newer records, on the store thread)."""
        self.client_history.clear()
        self.history = None
        self.carried.drop()
        look_up(self.ctx.ops, self, self.client, self.show_history)

    def show_history(self, history: ServiceHistory | None, today: dt.date) -> None:
        """Show the history and pre-tick (marked) the sticky factors still in their window."""
        self.history = history
        kits_only = kits_only_for(self.ctx.role)
        carried = carried_factors(history, today, self.risk_factors.buttons)
        self.carried.carry(carried)
        codes = [f.code for f in carried if f.code in self.carried.carried]
        self.client_history.show_history(
            history, self.ctx.vocab, today, kits_only=kits_only, carried=codes
        )

    def _update_risk(self) -> None:
        assessment = assess_risk(
            self.risk_factors.selected(),
            self.substances.selected(),
            self.injecting.value(),
            self.age_band.value(),
            added=added_factors(self.ctx.vocab),
        )
        self.risk.show_assessment(self.carried.annotate(assessment))
        self.current_risk = assessment

    def _update_referrals(self) -> None:
        chosen = self.referrals.selected()
        self.referral_codes = {
            to: self.referral_codes.get(to) or new_referral_code() for to in chosen
        }
        self.referral_text.setText(
            ", ".join(
                f"{self.ctx.vocab.label('referral_to', to)}: {code}"
                for to, code in self.referral_codes.items()
            )
        )
        self.print_button.setEnabled(bool(self.referral_codes))

    def print_card_to(self, path: Path) -> None:
        """Write one card per referral (several destinations: numbered files)."""
        from outreach.reports.referral_card import write_referral_card  # reportlab: lazily

        items = list(self.referral_codes.items())
        for number, (to, code) in enumerate(items, start=1):
            target = path if len(items) == 1 else path.with_stem(f"{path.stem}-{number}")
            write_referral_card(target, code, self.ctx.vocab.label("referral_to", to))

    def _print_card(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the referral card", "referral-card.pdf", "PDF (*.pdf)"
        )
        if name:
            try:
                self.print_card_to(Path(name))
            except (OSError, InvalidRecord) as exc:
                self.ctx.ops.report_error(exc)

    # -- save / undo ---------------------------------------------------------------------------

    def form_data(self) -> dict[str, Any]:
        area_text = self.area.text().strip()
        return {
            "type": "contact",
            "site": self.site.currentData(),
            "area": normalise_area(area_text) if area_text else "",
            "setting": self.setting.value() or "other",
            "age_band": self.age_band.value() or "unknown",
            "gender": self.gender.value() or "not_stated",
            "in_treatment": self.in_treatment.value() or "unknown",
            "injecting": self.injecting.value() or "unknown",
            "client_code": self.client.value(),
            "substances": self.substances.selected(),
            "risk_factors": self.risk_factors.selected(),
            "interventions": self.interventions.selected(),
            "referrals": [{"to": to, "referral_code": c} for to, c in self.referral_codes.items()],
        }

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        data = self.form_data()
        if not data["area"]:
            self.banner.error("Not saved: type the area (postcode district such as LS6, or NFA).")
            self.area.setFocus()
            return
        self.save_button.setEnabled(False)
        self.ctx.ops.store(lambda store: save_contact(store, data)).success(self._saved).failure(
            self._failed
        ).run()

    def _saved(self, result: tuple[Record, Changes]) -> None:
        record, _ = result
        self.save_button.setEnabled(True)
        data = self.form_data()
        self.ctx.remember(
            default_site=data["site"], default_area=data["area"], default_setting=data["setting"]
        )
        wants_kit = "naloxone_supplied" in data["interventions"]
        code = self.client.value()
        self.banner.saved(
            f"Saved contact at {record.occurred_at:%H:%M}.", lambda: self.undo(record.id)
        )
        self.reset()
        if wants_kit:
            self.kit_requested.emit(record.id, code)

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, InvalidRecord):
            self.banner.error(refusal(error))
        else:
            self.ctx.ops.report_error(error)

    def undo(self, record_id: str | None = None) -> None:
        if record_id is None:
            return
        self.ctx.ops.store(lambda store: store.void(record_id, "entered_in_error")).success(
            lambda _: self.banner.info("Undone: the contact was voided.")
        ).run()

    # -- kept over a lock (memory only; `outreach.ui.drafts`) -------------------------------------

    def _groups(self) -> dict[str, ChipGroup]:
        return {
            "setting": self.setting,
            "age_band": self.age_band,
            "gender": self.gender,
            "in_treatment": self.in_treatment,
            "injecting": self.injecting,
            "substances": self.substances,
            "risk_factors": self.risk_factors,
            "interventions": self.interventions,
            "referrals": self.referrals,
        }

    def _state(self) -> dict[str, Any]:
        """What was entered (never the typed initials or date of birth: only the code)."""
        return {
            "client_code": self.client.value(),
            "site": self.site.currentData(),
            "area": self.area.text(),
            "referral_codes": dict(self.referral_codes),
            **{name: group.selected() for name, group in self._groups().items()},
            **self.carried.state(),
        }

    def draft(self) -> dict[str, Any] | None:
        """The form in progress, or None when it holds nothing beyond its defaults (or its
        save is already on its way to the store)."""
        if not self.save_button.isEnabled():
            return None
        state = self._state()
        return state if state != self._clean else None

    def restore_draft(self, state: dict[str, Any]) -> None:
        self.client.set_code(state["client_code"])
        index = self.site.findData(state["site"])
        if index >= 0:
            self.site.setCurrentIndex(index)
        self.area.setText(state["area"])
        self.referral_codes = dict(state["referral_codes"])
        for name, group in self._groups().items():
            group.set_selected(state[name])
        self.carried.restore(state)

    def reset(self) -> None:
        """Clear everything except the remembered site, area and setting."""
        self.client.reset()
        for group in (
            self.age_band,
            self.gender,
            self.in_treatment,
            self.injecting,
            self.substances,
            self.risk_factors,
            self.interventions,
            self.referrals,
        ):
            group.set_selected([])
        self._restore_defaults()
        self.client.initials.setFocus()
        self._clean = self._state()
