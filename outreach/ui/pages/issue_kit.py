"""Issue naloxone: scan the pack (GS kept), or type it; expired refused, repeat serial flagged."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from outreach.domain.client_code import format_client_code
from outreach.domain.records import Record
from outreach.errors import InvalidRecord
from outreach.store.store import Changes, StoredRecord
from outreach.ui.context import AppContext
from outreach.ui.kit_save import USE_REASONS, save_kit
from outreach.ui.widgets.chips import ChipGroup
from outreach.ui.widgets.confirmation import SavedBanner
from outreach.ui.widgets.form_page import lay_out_form_page
from outreach.ui.widgets.naloxone_use import NaloxoneUseBox
from outreach.ui.widgets.scan_field import ScanField

if TYPE_CHECKING:
    from outreach.domain.gs1 import PackScan

log = logging.getLogger(__name__)


class IssueKitPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        vocab = ctx.vocab
        self.contact_id: str | None = None
        self.client_code: str | None = None
        self.repeat_serial_ok = False
        self.scan = ScanField()
        self.scan_message = QLabel()
        self.scan_message.setAccessibleName("Scan result")
        self.scan_message.setWordWrap(True)
        self.product = QComboBox()
        self.product.setAccessibleName("Product")
        for code in vocab.codes("product"):
            self.product.addItem(vocab.label("product", code), code)
        self.gtin = QLineEdit()
        self.gtin.setAccessibleName("GTIN")
        self.batch = QLineEdit()
        self.batch.setAccessibleName("Batch")
        self.expiry = QDateEdit(QDate.currentDate().addYears(1))
        self.expiry.setAccessibleName("Expiry date")
        self.expiry.setCalendarPopup(True)
        self.expiry.setDisplayFormat("dd/MM/yyyy")
        self.serial = QLineEdit()
        self.serial.setAccessibleName("Serial")
        self.client = QLabel("No client code")
        self.client.setAccessibleName("Client code for this kit")
        self.recipient = ChipGroup(vocab, "recipient", name="Recipient", exclusive=True, columns=3)
        self.in_treatment = ChipGroup(vocab, "in_treatment", name="In treatment", exclusive=True)
        self.supply = ChipGroup(vocab, "supply", name="Supply", exclusive=True)
        self.reason = ChipGroup(vocab, "resupply_reason", name="Resupply reason", exclusive=True)
        self.training = ChipGroup(vocab, "training", name="Training", exclusive=True)
        self.use = NaloxoneUseBox(vocab)
        self.save_button = QPushButton("&Save kit (Ctrl+S)")
        self.save_button.setAccessibleName("Save kit")
        self.banner = SavedBanner()
        self._build_layout()
        self.scan.returnPressed.connect(self.read_scan)
        self.supply.changed.connect(self._supply_changed)
        self.reason.changed.connect(self._supply_changed)
        self.save_button.clicked.connect(self.save)
        self.serial.textEdited.connect(lambda _: setattr(self, "repeat_serial_ok", False))
        for keys in (QKeySequence.StandardKey.Save, QKeySequence("Ctrl+Return")):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.save)
        self.reset()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("S&can", self.scan)
        form.addRow("", self.scan_message)
        form.addRow("&Product", self.product)
        form.addRow("&GTIN", self.gtin)
        form.addRow("&Batch", self.batch)
        form.addRow("&Expiry", self.expiry)
        form.addRow("Se&rial", self.serial)
        form.addRow("Client", self.client)
        form.addRow("Recipient", self.recipient)
        form.addRow("In treatment", self.in_treatment)
        form.addRow("Supply", self.supply)
        form.addRow("Resupply reason", self.reason)
        form.addRow(self.use)
        form.addRow("Training", self.training)
        lay_out_form_page(self, self.banner, form, self.save_button)

    def first_field(self) -> QWidget:
        return self.scan

    def prefill(self, contact_id: str | None, client_code: str | None) -> None:
        """Carry over the contact just saved (its id and client code)."""
        self.contact_id = contact_id
        self.client_code = client_code
        self.client.setText(format_client_code(client_code) if client_code else "No client code")
        self.recipient.set_selected(["person_at_risk"])
        self.scan.setFocus()

    # -- scanning ------------------------------------------------------------------------------

    def read_scan(self) -> None:
        from outreach.domain.gs1 import parse_pack_scan  # biip is slow to import: not at start

        text = self.scan.scan_text()
        try:
            pack = parse_pack_scan(text)
        except InvalidRecord as exc:
            self.scan_message.setText(f"Could not read the scan: {exc.message}")
            self.scan.selectAll()
            return
        self.fill_from(pack)
        self.scan.clear()

    def fill_from(self, pack: PackScan) -> None:
        from outreach.domain.gs1 import is_expired

        product = self.ctx.vocab.product_for_gtin(pack.gtin)
        if product:
            self.product.setCurrentIndex(self.product.findData(product))
        self.gtin.setText(pack.gtin)
        self.batch.setText(pack.batch)
        self.expiry.setDate(QDate(pack.expiry.year, pack.expiry.month, pack.expiry.day))
        self.serial.setText(pack.serial or "")
        self.repeat_serial_ok = False
        notes = [f"Read: batch {pack.batch}, expires {pack.expiry:%d %b %Y}"]
        if not product:
            notes.append("unknown GTIN: choose the product")
        if is_expired(pack.expiry, dt.date.today()):
            notes.append("EXPIRED: do not hand out this kit")
        self.scan_message.setText("; ".join(notes) + ".")
        if pack.serial:
            serial = pack.serial
            self.ctx.ops.store(lambda store: store.serial_issued(serial)).success(
                self._serial_checked
            ).run()

    def _serial_checked(self, found: StoredRecord | None) -> None:
        if found is not None:
            when = found.record.occurred_at
            self.scan_message.setText(
                self.scan_message.text()
                + f" WARNING: this serial was already issued on {when:%d %b %Y}."
            )

    def _supply_changed(self) -> None:
        repeat = self.supply.value() == "repeat"
        self.reason.setEnabled(repeat)
        if not repeat and self.reason.selected():
            self.reason.set_selected([])
        self.use.setVisible(repeat and self.reason.value() in USE_REASONS)

    # -- save ----------------------------------------------------------------------------------

    def form_data(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        expiry: dt.date = self.expiry.date().toPython()  # type: ignore[assignment]
        site = self.ctx.settings.default_site or self.ctx.vocab.codes("site")[0]
        product = str(self.product.currentData())
        kit = {
            "type": "kit_issue",
            "site": site,
            "product": product,
            "gtin": self.gtin.text().strip() or None,
            "batch": self.batch.text().strip(),
            "expiry": expiry.isoformat(),
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
            self.banner.show_message("Scan the pack or type its batch.")
            self.scan.setFocus()
            return
        allow = self.repeat_serial_ok
        self.save_button.setEnabled(False)
        self.ctx.ops.store(
            lambda store: save_kit(store, kit, use, allow_repeat_serial=allow)
        ).success(self._saved).failure(self._failed).run()

    def _saved(self, result: tuple[Record, Changes]) -> None:
        record, _ = result
        self.save_button.setEnabled(True)
        self.banner.show_saved(
            f"Saved kit at {record.occurred_at:%H:%M}.", lambda: self.undo(record.id)
        )
        self.reset()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, InvalidRecord):
            if error.field == "serial":
                self.repeat_serial_ok = True
                self.banner.show_message(f"{error.message}. Save again to issue it anyway.")
            else:
                self.banner.show_message(f"Not saved: {error}")
            return
        self.ctx.ops.report_error(error)

    def undo(self, record_id: str) -> None:
        self.ctx.ops.store(lambda store: store.void(record_id, "entered_in_error")).success(
            lambda _: self.banner.show_message("Undone: the kit was voided.")
        ).run()

    def reset(self) -> None:
        for field in (self.gtin, self.batch, self.serial, self.scan):
            field.clear()
        self.scan_message.clear()
        self.expiry.setDate(QDate.currentDate().addYears(1))
        self.recipient.set_selected(["person_at_risk"])
        self.in_treatment.set_selected([])
        self.supply.set_selected(["first"])
        self.reason.set_selected([])
        self.training.set_selected(["full"])
        self.use.reset()
        self.contact_id = self.client_code = None
        self.client.setText("No client code")
        self.repeat_serial_ok = False
        self._supply_changed()
