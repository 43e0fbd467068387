"""Stock: receive packs (scan or by hand), stock on hand, alerts, stock count and write-off.

All ledger work runs on the store thread through `ctx.ops`; the rules (no negative stock) live in
the core, so this page only shows what the core answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from outreach import stock
from outreach.errors import OutreachError
from outreach.records.validation import MAX_QUANTITY
from outreach.stock import Alert, StockKey, StockLine
from outreach.stock.operations import WRITE_OFFS
from outreach.store.store import Changes, Store
from outreach.ui.context import AppContext
from outreach.ui.widgets.date_field import DateField, show_date
from outreach.ui.widgets.message_bar import MessageBar
from outreach.ui.widgets.scan_field import ScanField
from outreach.ui.widgets.site_box import SiteBox, usual_site

# What a batch may be written off as: the ledger's list (one home), shown capitalised.
WRITE_OFF_REASONS = tuple((why, why.capitalize()) for why in WRITE_OFFS)


def _combo(name: str, items: list[tuple[str, str]]) -> QComboBox:
    box = QComboBox()
    box.setAccessibleName(name)
    for code, label in items:
        box.addItem(label, code)
    return box


def _spin(name: str, low: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setAccessibleName(name)
    spin.setRange(low, MAX_QUANTITY)  # the core's limit on one movement
    spin.setValue(value)
    return spin


class StockPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        vocab = ctx.vocab
        self.site = SiteBox(vocab)
        self.site.set_site(usual_site(ctx.settings, ctx.role, vocab))
        self.message = MessageBar("Stock message")

        receive = self._build_receive()
        self._build_on_hand()
        actions = self._build_actions()
        self._lay_out(receive, actions)
        self.lines: list[StockLine] = []
        self._connect()
        self._clean = self._state()
        self.refresh()

    # -- building (in widget order: the tab order follows it) ---------------------------------

    def _build_receive(self) -> QGroupBox:
        vocab = self.ctx.vocab
        self.scan = ScanField()
        self.product = _combo(
            "Product", [(c, vocab.label("product", c)) for c in vocab.codes("product")]
        )
        self.batch = QLineEdit()
        self.batch.setAccessibleName("Batch")
        self.expiry = DateField("Expiry")
        self.quantity = _spin("Packs received", 1, 1)
        self.receive_button = QPushButton("&Receive")
        self.receive_button.setAutoDefault(True)  # Enter on it presses it, as Space does
        receive = QGroupBox("Receive stock")
        form = QFormLayout(receive)
        form.addRow("S&can", self.scan)
        form.addRow("Product", self.product)
        form.addRow("Batch", self.batch)
        form.addRow("Expiry", self.expiry)
        form.addRow("Packs", self.quantity)
        form.addRow(self.receive_button)
        return receive

    def _build_on_hand(self) -> None:
        self.table = QTableWidget(0, 4)
        self.table.setAccessibleName("Stock on hand")
        self.table.setHorizontalHeaderLabels(["Product", "Batch", "Expiry", "On hand"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.use_first = QLabel()
        self.use_first.setAccessibleName("Use first")
        self.use_first.setWordWrap(True)
        self.alerts = QListWidget()
        self.alerts.setAccessibleName("Stock alerts")
        self.alerts.setMaximumHeight(110)

    def _build_actions(self) -> QGroupBox:
        self.counted = _spin("Packs counted", 0, 0)
        self.count_button = QPushButton("Record &count")
        self.count_button.setAutoDefault(True)  # Enter on it presses it, as Space does
        self.write_off_reason = _combo("Write-off reason", list(WRITE_OFF_REASONS))
        self.write_off_quantity = _spin("Packs to write off", 1, 1)
        self.write_off_button = QPushButton("&Write off")
        self.write_off_button.setAutoDefault(True)  # Enter on it presses it, as Space does
        actions = QGroupBox("Selected batch")
        row = QHBoxLayout(actions)
        row.addWidget(QLabel("Counted"))
        row.addWidget(self.counted)
        row.addWidget(self.count_button)
        row.addSpacing(20)
        row.addWidget(self.write_off_reason)
        row.addWidget(self.write_off_quantity)
        row.addWidget(self.write_off_button)
        row.addStretch(1)
        return actions

    def _lay_out(self, receive: QGroupBox, actions: QGroupBox) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Site"))
        top.addWidget(self.site)
        top.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(QLabel("Alerts"))
        right.addWidget(self.alerts)
        right.addWidget(self.use_first)
        right.addWidget(QLabel("Stock on hand"))
        right.addWidget(self.table, 1)
        right.addWidget(actions)
        body = QHBoxLayout()
        body.addWidget(receive)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addLayout(body, 1)

    def _connect(self) -> None:
        self.scan.returnPressed.connect(self.read_scan)
        self.receive_button.clicked.connect(self.receive)
        # Enter in any receive field takes the stock in (the scan fills them and lands on Packs).
        for field in (self.batch, self.expiry):
            field.returnPressed.connect(self.receive)
        self.quantity.lineEdit().returnPressed.connect(self.receive)
        self.count_button.clicked.connect(self.record_count)
        self.write_off_button.clicked.connect(self.write_off)
        self.site.currentIndexChanged.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.ctx.changes.connect(self._on_changes)

    # -- page contract ---------------------------------------------------------------------

    def first_field(self) -> QWidget:
        return self.scan

    def activated(self) -> None:
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("stock_movement", "kit_issue", "void"):
            self.refresh()

    # -- reading ---------------------------------------------------------------------------

    def current_site(self) -> str:
        return str(self.site.currentData())

    def refresh(self) -> None:
        site = self.current_site()

        def load(store: Store) -> tuple[list[StockLine], list[Alert]]:
            return stock.on_hand(store.conn, site), stock.alerts(store, dt.date.today(), site)

        self.ctx.ops.store(load).success(self._show).owner(self).run()

    def _show(self, result: tuple[list[StockLine], list[Alert]]) -> None:
        lines, alerts = result
        self.lines = lines
        self.table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            cells = (
                self.ctx.vocab.label("product", line.product),
                line.batch,
                show_date(line.expiry),
                str(line.quantity),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.alerts.clear()
        for alert in alerts:
            what = self.ctx.vocab.label("product", alert.product)
            batch = f" batch {alert.batch}" if alert.batch else ""
            self.alerts.addItem(f"{what}{batch}: {alert.message}")
        if not alerts:
            self.alerts.addItem("No alerts.")
        first = stock.use_first(lines, dt.date.today())
        self.use_first.setText(
            "Hand out first: "
            + "; ".join(
                f"{self.ctx.vocab.label('product', line.product)} batch {line.batch} "
                f"(expires {show_date(line.expiry)})"
                for line in first.values()
            )
            if first
            else "No usable stock at this site."
        )

    def selected_line(self) -> StockLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.lines[rows[0].row()] if rows else None

    def _on_selection(self) -> None:
        line = self.selected_line()
        if line is not None:
            self.counted.setValue(max(line.quantity, 0))

    # -- writing ---------------------------------------------------------------------------

    def read_scan(self) -> None:
        """Fill product, batch and expiry from a pack scan; say why when it cannot be read."""
        from outreach.domain.gs1 import parse_pack_scan  # biip is slow to import: not at start

        try:
            pack = parse_pack_scan(self.scan.scan_text())
        except OutreachError as exc:
            self.message.error(f"Could not read the scan: {exc}. Scan again.")
            return
        product = self.ctx.vocab.product_for_gtin(pack.gtin)
        if product is None:
            self.message.error(
                "This pack is not a naloxone product this service knows: choose the product "
                "and type the batch and expiry."
            )
            return
        self.product.setCurrentIndex(self.product.findData(product))
        self.batch.setText(pack.batch)
        self.expiry.set_date(pack.expiry)
        self.message.info("Pack read: check the number of packs and press Enter to receive.")
        self.quantity.setFocus()
        self.quantity.selectAll()

    def entered_key(self) -> StockKey | None:
        """What the receive form describes; None (and the reason shown) while incomplete."""
        batch = self.batch.text().strip()
        expiry = self.expiry.date()
        if not batch:
            self.message.error("Not received: enter the batch (or scan the pack).")
            return None
        if expiry is None:
            problem = self.expiry.problem or "type it as dd/mm/yyyy"
            self.message.error(f"Not received: the expiry date is needed ({problem}).")
            return None
        return StockKey(self.current_site(), str(self.product.currentData()), batch, expiry)

    def receive(self) -> None:
        key = self.entered_key()
        if key is None:
            return
        if key.expiry < dt.date.today():
            self.message.error("Not received: this batch has expired; do not take it into stock.")
            return
        quantity = self.quantity.value()
        self._write(
            lambda store: stock.receive(store, key, quantity),
            f"Received {quantity} pack(s) of batch {key.batch} "
            f"({self.ctx.vocab.label('product', key.product)}).",
            after=self._clear_receive,
        )

    def _clear_receive(self) -> None:
        """Received: the form empties, so a second Enter cannot take the same packs in twice."""
        self.scan.clear()
        self.batch.clear()
        self.expiry.set_date(None)
        self.quantity.setValue(1)
        self.scan.setFocus()

    def record_count(self) -> None:
        line = self.selected_line()
        if line is None:
            self.message.error("Select a batch in the stock table first.")
            return
        counted = self.counted.value()
        self._write(
            lambda store: stock.record_count(store, line.key, counted),
            f"Count recorded: {counted} pack(s) of batch {line.batch}.",
        )

    def write_off(self) -> None:
        line = self.selected_line()
        if line is None:
            self.message.error("Select a batch in the stock table first.")
            return
        why = str(self.write_off_reason.currentData())
        quantity = self.write_off_quantity.value()
        self._write(
            lambda store: stock.write_off(store, line.key, quantity, why),
            f"Wrote off {quantity} pack(s) of batch {line.batch} "
            f"({self.write_off_reason.currentText().lower()}).",
        )

    def _write(
        self, job: Callable[[Store], object], done: str, after: Callable[[], None] | None = None
    ) -> None:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, OutreachError):
                self.message.error(f"Not done: {exc}")
            else:
                self.ctx.ops.report_error(exc)

        def succeeded(_: object) -> None:
            self.message.saved(done)
            if after is not None:
                after()

        self.ctx.ops.store(job).success(succeeded).failure(failed).owner(self).run()

    # -- kept over a lock (memory only; `outreach.ui.drafts`) ---------------------------------

    def _state(self) -> dict[str, object]:
        return {
            "site": self.site.site(),
            "product": self.product.currentData(),
            "batch": self.batch.text(),
            "expiry": self.expiry.text(),
            "quantity": self.quantity.value(),
        }

    def draft(self) -> dict[str, object] | None:
        """The receive form in progress, or None when it is empty."""
        state = self._state()
        return state if state != self._clean else None

    def restore_draft(self, state: dict[str, object]) -> None:
        self.site.set_site(str(state["site"]))
        self.product.setCurrentIndex(max(self.product.findData(state["product"]), 0))
        self.batch.setText(str(state["batch"]))
        self.expiry.setText(str(state["expiry"]))
        quantity = state["quantity"]
        self.quantity.setValue(quantity if isinstance(quantity, int) else 1)
