"""Issue naloxone: scan the pack (GS kept), or type it; expired refused, repeat serial flagged.

The expiry date is scanned or typed, never assumed; a scan that fails (unreadable or expired)
leaves none of its fields behind. The kit is recorded at the chosen site (the user's usual one),
which is also where the stock ledger takes the pack out.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from outreach.domain.vocab import USE_REASONS
from outreach.errors import InvalidRecord, RepeatSerial
from outreach.records import Record
from outreach.records.service_history import ServiceHistory, supply_suggestion
from outreach.store.kit_issue import save_kit, serial_issued_on
from outreach.store.store import Changes
from outreach.ui import sync_api
from outreach.ui.context import AppContext
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.client_code import ClientCodeBox
from outreach.ui.widgets.client_panel import (
    ClientPanel,
    kit_lines,
    kits_only_for,
    look_up,
    tab_past_when_known,
)
from outreach.ui.widgets.date_field import DateField, show_date
from outreach.ui.widgets.form_page import lay_out_form_page
from outreach.ui.widgets.keys import enter_advances
from outreach.ui.widgets.message_bar import MessageBar, refusal
from outreach.ui.widgets.naloxone_use import NaloxoneUseBox
from outreach.ui.widgets.scan_field import ScanField
from outreach.ui.widgets.site_box import SiteBox, usual_site

if TYPE_CHECKING:
    from outreach.domain.gs1 import PackScan

log = logging.getLogger(__name__)


class IssueKitPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        vocab = ctx.vocab
        self.contact_id: str | None = None
        self.repeat_serial_ok = False
        self._suggesting = False
        self.site = SiteBox(vocab)
        self.scan = ScanField()
        self.scan_message = MessageBar("Scan result")
        self.product = QComboBox()
        self.product.setAccessibleName("Product")
        for code in vocab.codes("product"):
            self.product.addItem(vocab.label("product", code), code)
        self.gtin = QLineEdit()
        self.gtin.setAccessibleName("GTIN")
        self.batch = QLineEdit()
        self.batch.setAccessibleName("Batch")
        self.expiry = DateField("Expiry date")
        self.serial = QLineEdit()
        self.serial.setAccessibleName("Serial")
        self.client = ClientCodeBox()  # prefilled from the contact, or made/typed here
        self.client.code.setAccessibleName("Client code for this kit")
        self.client_history = ClientPanel()
        self.history: ServiceHistory | None = None
        self._supply_chosen = False  # the person chose first/repeat: no suggestion overrides it
        self.recipient = ChipGroup(vocab, "recipient", name="Recipient", exclusive=True, columns=3)
        self.in_treatment = ChipGroup(vocab, "in_treatment", name="In treatment", exclusive=True)
        self.supply = ChipGroup(vocab, "supply", name="Supply", exclusive=True)
        self.reason = ChipGroup(vocab, "resupply_reason", name="Resupply reason", exclusive=True)
        self.training = ChipGroup(vocab, "training", name="Training", exclusive=True)
        self.use = NaloxoneUseBox(vocab)
        self.save_button = QPushButton("&Save kit (Ctrl+S)")
        self.save_button.setAutoDefault(True)  # Enter on it presses it, as Space does
        self.save_button.setAccessibleName("Save kit")
        self.banner = MessageBar("Issue naloxone message")
        self._build_layout()
        self.scan.returnPressed.connect(self.read_scan)
        self.scan.textEdited.connect(self._scan_edited)
        self.supply.changed.connect(self._supply_changed)
        self.supply.changed.connect(self._supply_chosen_by_hand)
        self.client.code_changed.connect(self._code_changed)
        self.client.completed.connect(self._to_recipient)
        tab_past_when_known(self.client)
        self.reason.changed.connect(self._supply_changed)
        self.save_button.clicked.connect(self.save)
        self.serial.textEdited.connect(lambda _: setattr(self, "repeat_serial_ok", False))
        enter_advances(self.gtin, self.batch, self.expiry, self.serial)
        # Ctrl+S / Ctrl+Return: the workspace's shortcuts call `save` from anywhere on the page.
        self.reset()
        self.ctx.ops.store(sync_api.service_key).success(self._got_key).run()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("S&ite", self.site)
        form.addRow("S&can", self.scan)
        form.addRow("", self.scan_message)
        form.addRow("&Product", self.product)
        form.addRow("&GTIN", self.gtin)
        form.addRow("&Batch", self.batch)
        form.addRow("&Expiry", self.expiry)
        form.addRow("Se&rial", self.serial)
        form.addRow("&Client", self.client)
        form.addRow("", self.client_history)
        form.addRow("Recipient", self.recipient)
        form.addRow("In treatment", self.in_treatment)
        form.addRow("Supply", self.supply)
        form.addRow("Resupply reason", self.reason)
        form.addRow("Training", self.training)
        form.addRow(self.use)  # last: appearing, it pushes nothing down
        self.scroll_area = lay_out_form_page(self, self.banner, form, self.save_button)

    def first_field(self) -> QWidget:
        return self.scan

    def prefill(self, contact_id: str | None, client_code: str | None) -> None:
        """Carry over the contact just saved (its id and client code)."""
        self.contact_id = contact_id
        self.client.set_code(client_code)
        self.recipient.set_selected(["person_at_risk"])
        self.scan.setFocus()

    # -- the client's service-wide history -----------------------------------------------------

    @property
    def client_code(self) -> str | None:
        return self.client.value()

    def _got_key(self, key: bytes) -> None:
        self.client.service_key = key

    def _supply_chosen_by_hand(self) -> None:
        if not self._suggesting:
            self._supply_chosen = True

    def _code_changed(self, code: str | None) -> None:
        self.client_history.clear()
        self.history = None
        look_up(self.ctx.ops, self, self.client, self.show_history)

    def show_history(self, history: ServiceHistory | None, today: dt.date) -> None:
        """Show what the service knows and suggest first or repeat supply from it (unless the
        person already chose)."""
        self.history = history
        suggested = supply_suggestion(history)
        kits_only = kits_only_for(self.ctx.role)
        lines = kit_lines(history, self.ctx.vocab, today, suggested, kits_only=kits_only)
        self.client_history.show_lines(lines)
        if history is not None and not self._supply_chosen:
            self._suggesting = True
            try:
                self.supply.set_selected([suggested])
            finally:
                self._suggesting = False

    # -- scanning ------------------------------------------------------------------------------

    def _clear_pack(self) -> None:
        """Forget what the last scan filled in (a new or failed scan never leaves it behind)."""
        for field in (self.gtin, self.batch, self.serial):
            field.clear()
        self.expiry.set_date(None)
        self.repeat_serial_ok = False

    def _scan_edited(self, text: str) -> None:
        if not text:  # the scan was cleared: so is what it filled in, and what it said
            self._clear_pack()
            self.scan_message.clear()

    def read_scan(self) -> None:
        from outreach.domain.gs1 import parse_pack_scan  # biip is slow to import: not at start

        text = self.scan.scan_text()
        self._clear_pack()
        try:
            pack = parse_pack_scan(text)
        except InvalidRecord as exc:
            self.scan_message.error(f"Could not read the scan: {exc.message}. Scan again.")
            self.scan.selectAll()
            return
        if self.fill_from(pack):
            self.scan.clear()
            if self.client.value() is None and self.contact_id is None:
                self.client.initials.setFocus()  # a kit on its own (a pharmacy's): the code first
            else:
                self._to_recipient()
        else:
            self.scan.selectAll()

    def _to_recipient(self) -> None:
        entry = self.recipient.entry()
        if entry is not None:
            entry.setFocus(Qt.FocusReason.OtherFocusReason)

    def fill_from(self, pack: PackScan) -> bool:
        """Fill the form from a pack; False (and nothing filled) when it must not be handed out."""
        from outreach.domain.gs1 import is_expired

        product = self.ctx.vocab.product_for_gtin(pack.gtin)
        if is_expired(pack.expiry, dt.date.today()):
            self.scan_message.error(
                f"Expired on {show_date(pack.expiry)} (batch {pack.batch}): do not hand out "
                "this kit. Scan another pack."
            )
            return False
        if product:
            self.product.setCurrentIndex(self.product.findData(product))
        self.gtin.setText(pack.gtin)
        self.batch.setText(pack.batch)
        self.expiry.set_date(pack.expiry)
        self.serial.setText(pack.serial or "")
        read = f"Read: batch {pack.batch}, expires {show_date(pack.expiry)}."
        if product:
            self.scan_message.info(read)
        else:
            self.scan_message.warning(read + " Unknown product code: choose the product.")
        if pack.serial:
            serial = pack.serial
            self.ctx.ops.store(lambda store: serial_issued_on(store, serial)).success(
                self._serial_checked
            ).owner(self).run()
        return True

    def _serial_checked(self, issued_on: dt.date | None) -> None:
        if issued_on is not None:
            self.scan_message.warning(
                f"This pack (batch {self.batch.text()}) was already issued on "
                f"{show_date(issued_on)}. Check it before handing it out."
            )

    def _supply_changed(self) -> None:
        repeat = self.supply.value() == "repeat"
        self.reason.setEnabled(repeat)
        if not repeat and self.reason.selected():
            self.reason.set_selected([])
        self.use.setVisible(repeat and self.reason.value() in USE_REASONS)

    # -- save ----------------------------------------------------------------------------------

    def form_data(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        expiry = self.expiry.date()
        site = self.site.site()
        product = str(self.product.currentData())
        kit = {
            "type": "kit_issue",
            "site": site,
            "product": product,
            "gtin": self.gtin.text().strip() or None,
            "batch": self.batch.text().strip(),
            "expiry": expiry.isoformat() if expiry else None,
            "serial": self.serial.text().strip() or None,
            "recipient": self.recipient.value() or "unknown",
            "in_treatment": self.in_treatment.value() or "unknown",
            "supply": self.supply.value() or "first",
            "resupply_reason": self.reason.value() if self.supply.value() == "repeat" else None,
            "training": self.training.value() or "full",
            "client_code": self.client_code,
            "contact_id": self.contact_id,
        }
        use = self.use.data(site, product) if self.use.isVisibleTo(self) else None
        return kit, use

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        kit, use = self.form_data()
        if not kit["batch"]:
            self.banner.error("Not saved: scan the pack, or type its batch and expiry date.")
            self.scan.setFocus()
            return
        if kit["expiry"] is None:
            problem = self.expiry.problem or "scan the pack or type it as dd/mm/yyyy"
            self.banner.error(f"Not saved: the expiry date is needed ({problem}).")
            self.expiry.setFocus()
            return
        if use is not None and use["occurred_on"] is None:
            self.banner.error("Not saved: type the date the last kit was used (dd/mm/yyyy).")
            self.use.occurred_on.setFocus()
            return
        allow = self.repeat_serial_ok
        self.save_button.setEnabled(False)
        self.ctx.ops.store(
            lambda store: save_kit(store, kit, use, allow_repeat_serial=allow)
        ).success(self._saved).failure(self._failed).run()

    def _saved(self, result: tuple[Record, Changes]) -> None:
        record, _ = result
        self.save_button.setEnabled(True)
        site = self.site.site()
        if site != self.ctx.settings.default_site:
            self.ctx.remember(default_site=site)
        self.banner.saved(
            f"Saved kit at {record.occurred_at:%H:%M} ({self.ctx.vocab.label('site', site)}).",
            lambda: self.undo(record.id),
        )
        self.reset()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, RepeatSerial):
            self.repeat_serial_ok = True
            self.banner.warning(f"Not saved: {error.message}. Save again to issue it anyway.")
        elif isinstance(error, InvalidRecord):
            self.banner.error(refusal(error))
        else:
            self.ctx.ops.report_error(error)

    def undo(self, record_id: str) -> None:
        self.ctx.ops.store(lambda store: store.void(record_id, "entered_in_error")).success(
            lambda _: self.banner.info("Undone: the kit was voided.")
        ).run()

    # -- kept over a lock (memory only; `outreach.ui.drafts`) -------------------------------------

    def _groups(self) -> dict[str, ChipGroup]:
        use = self.use
        return {
            "recipient": self.recipient,
            "in_treatment": self.in_treatment,
            "supply": self.supply,
            "reason": self.reason,
            "training": self.training,
            "use_location": use.location,
            "use_administered_by": use.administered_by,
            "use_ambulance": use.ambulance,
            "use_stayed": use.stayed,
            "use_outcome": use.outcome,
        }

    def _state(self) -> dict[str, Any]:
        return {
            "site": self.site.site(),
            "product": self.product.currentData(),
            "fields": [f.text() for f in (self.gtin, self.batch, self.expiry, self.serial)],
            "scan_message": (self.scan_message.kind, self.scan_message.text()),
            "contact_id": self.contact_id,
            "client_code": self.client_code,
            "use_date": self.use.occurred_on.text(),
            "use_doses": self.use.doses.value(),
            **{name: group.selected() for name, group in self._groups().items()},
        }

    def draft(self) -> dict[str, Any] | None:
        """The form in progress, or None when it is as `reset` left it (or being saved)."""
        if not self.save_button.isEnabled():
            return None
        state = self._state()
        return state if state != self._clean else None

    def restore_draft(self, state: dict[str, Any]) -> None:
        self.site.set_site(state["site"])
        self.product.setCurrentIndex(max(self.product.findData(state["product"]), 0))
        for field, text in zip(
            (self.gtin, self.batch, self.expiry, self.serial), state["fields"], strict=True
        ):
            field.setText(text)
        kind, text = state["scan_message"]
        self.scan_message.show_message(kind, text)
        self.contact_id = state["contact_id"]
        self.client.set_code(state["client_code"])
        self._supply_chosen = True  # the supply restored stays as it was
        self.use.occurred_on.setText(state["use_date"])
        self.use.doses.setValue(state["use_doses"])
        for name, group in self._groups().items():
            group.set_selected(state[name])

    def reset(self) -> None:
        self.scan.clear()
        self._clear_pack()
        self.scan_message.clear()
        self.site.set_site(usual_site(self.ctx.settings, self.ctx.role, self.ctx.vocab))
        self.recipient.set_selected(["person_at_risk"])
        self.in_treatment.set_selected([])
        self.supply.set_selected(["first"])
        self.reason.set_selected([])
        self.training.set_selected(["full"])
        self.use.reset()
        self.contact_id = None
        self.client.reset()
        self._supply_changed()
        self._supply_chosen = False
        self._clean = self._state()
