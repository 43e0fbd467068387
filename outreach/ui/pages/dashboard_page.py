"""Dashboard (coordinator): scope (this laptop or the whole service from the hub), period and
site, headline numbers, a chart per count, the at-risk list by area, and CSV / PDF exports with
progress. Counting and fetching run off the UI thread; exports write files from the counts
already taken, so the numbers on screen are the numbers exported. Figures are published (small
numbers suppressed) unless "Exact (not for publication)" is ticked, and every export says which.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from outreach.reports.countset import CountSet, Table
from outreach.reports.disclosure import EXACT
from outreach.store.store import Changes, Store
from outreach.ui.context import AppContext
from outreach.ui.dates import QT_DATE_FORMAT, format_date, month_span
from outreach.ui.pages.dashboard_chart import ChartMixin, integer_axis
from outreach.ui.pages.dashboard_service import ServiceScopeMixin
from outreach.ui.task import Task

__all__ = ["DashboardPage", "integer_axis", "month_span"]

AT_RISK = "high_risk_without_kit_by_area"


def _date_edit(name: str, day: dt.date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setAccessibleName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(QT_DATE_FORMAT)
    return edit


def _to_date(edit: QDateEdit) -> dt.date:
    date = edit.date()
    return dt.date(date.year(), date.month(), date.day())


class DashboardPage(ServiceScopeMixin, ChartMixin, QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        start, end = month_span(dt.date.today())
        self.start = _date_edit("Period from", start)
        self.end = _date_edit("Period to", end)
        self.this_month = QPushButton("This &month")
        self.last_month = QPushButton("&Last month")
        self.site = QComboBox()
        self.site.setAccessibleName("Site")
        self.site.addItem("All sites", None)
        for code in ctx.vocab.codes("site"):
            self.site.addItem(ctx.vocab.label("site", code), code)
        self.scope_laptop = QRadioButton("T&his laptop")
        self.scope_service = QRadioButton("Whole ser&vice")
        self.scope_laptop.setChecked(True)
        self.scope = QButtonGroup(self)
        self.scope.addButton(self.scope_laptop)
        self.scope.addButton(self.scope_service)
        self.exact = QCheckBox("E&xact (not for publication)")
        self.exact.setAccessibleDescription(
            "Unticked, small numbers are suppressed as they are in anything published"
        )
        self.refresh_button = QPushButton("&Refresh")
        self.export_csv_button = QPushButton("Export &CSV…")
        self.export_pdf_button = QPushButton("Export &PDF…")
        self.return_button = QPushButton("Quarterly &return…")
        self.return_button.setToolTip(
            "Take-home naloxone return for the financial-year quarter the period ends in"
        )
        self.message = QLabel()
        self.message.setAccessibleName("Dashboard message")
        self.message.setWordWrap(True)  # a long status must not widen the window
        self.note = QLabel()  # when a retention purge removed some of the period's records
        self.note.setAccessibleName("Counts not exact")
        self.note.setWordWrap(True)
        self.note.hide()
        self.headline_grid = QGridLayout()
        self.headline_labels: dict[str, QLabel] = {}
        self.chart_choice = QComboBox()
        self.chart_choice.setAccessibleName("Chart")
        self.at_risk = QTableWidget(0, 3)
        self.at_risk.setAccessibleName("High-risk people without a kit, by area")
        self.at_risk.setHorizontalHeaderLabels(["Area", "Risk level", "People"])
        self.at_risk.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.at_risk.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.chart_view = self._make_chart_view()

        self._lay_out()
        self.counts: CountSet | None = None
        self._init_service_scope()
        self._connect()

    def _lay_out(self) -> None:
        # Period and filters on two rows, so that the page fits a 1080p screen at 200% scaling.
        scope = QHBoxLayout()
        scope.addWidget(QLabel("Counts of"))
        scope.addWidget(self.scope_laptop)
        scope.addWidget(self.scope_service)
        scope.addStretch(1)
        period = QHBoxLayout()
        for widget in (QLabel("From"), self.start, QLabel("to"), self.end):
            period.addWidget(widget)
        period.addWidget(self.this_month)
        period.addWidget(self.last_month)
        period.addStretch(1)
        filters = QHBoxLayout()
        filters.addWidget(self.site)
        filters.addWidget(self.exact)
        filters.addStretch(1)
        filters.addWidget(self.refresh_button)
        exports = QHBoxLayout()
        exports.addWidget(self.message, 1)
        exports.addWidget(self.export_csv_button)
        exports.addWidget(self.export_pdf_button)
        exports.addWidget(self.return_button)
        charts = QVBoxLayout()
        charts.addWidget(self.chart_choice)
        charts.addWidget(self.chart_view, 1)
        risk = QVBoxLayout()
        self.at_risk_title = QLabel("High-risk people without a kit in the period")
        self.at_risk_title.setWordWrap(True)
        risk.addWidget(self.at_risk_title)
        risk.addWidget(self.at_risk, 1)
        lower = QHBoxLayout()
        lower.addLayout(charts, 3)
        lower.addLayout(risk, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(scope)
        layout.addLayout(period)
        layout.addLayout(filters)
        layout.addLayout(self.headline_grid)
        layout.addWidget(self.note)
        layout.addLayout(lower, 1)
        layout.addLayout(exports)

    def _connect(self) -> None:
        self.this_month.clicked.connect(lambda: self.set_period(*month_span(dt.date.today())))
        self.last_month.clicked.connect(lambda: self.set_period(*month_span(dt.date.today(), 1)))
        self.refresh_button.clicked.connect(self.refresh)
        self.exact.toggled.connect(lambda _: self._exact_toggled())
        self.scope_service.toggled.connect(lambda _: self.refresh())
        self.return_button.clicked.connect(self._ask_and_export_return)
        self.site.currentIndexChanged.connect(lambda _: self.refresh())
        self.chart_choice.currentIndexChanged.connect(lambda _: self._draw_chart())
        self.export_csv_button.clicked.connect(lambda: self._ask_and_export("csv"))
        self.export_pdf_button.clicked.connect(lambda: self._ask_and_export("pdf"))
        self.ctx.changes.connect(self._on_changes)

    # -- page contract ---------------------------------------------------------------------

    def first_field(self) -> QWidget:
        return self.start

    def activated(self) -> None:
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        """Refresh only while shown: a hidden page refreshes when shown again (`activated`), so
        a save on another page does not wait behind its query (UI budget, DESIGN §7)."""
        if (changes.added or changes.retired) and self.isVisible():
            self.refresh()

    # -- counting --------------------------------------------------------------------------

    def set_period(self, start: dt.date, end: dt.date) -> None:
        self.start.setDate(QDate(start.year, start.month, start.day))
        self.end.setDate(QDate(end.year, end.month, end.day))
        self.refresh()

    def period(self) -> tuple[dt.date, dt.date]:
        return _to_date(self.start), _to_date(self.end)

    def refresh(self) -> None:
        start, end = self.period()
        if start > end:
            self.message.setText("The period starts after it ends.")
            return
        site = self.site.currentData()
        if self.scope_service.isChecked():
            self.fetch_service(start, end, site)
            return
        self._request += 1  # an answer from the hub still on its way is now stale

        def count(store: Store) -> CountSet:
            from outreach.reports.commissioner import local_counts

            return local_counts(store.conn, start, end, site)

        self.ctx.ops.store(count).success(self._counted).owner(self).run()

    def _exact_toggled(self) -> None:
        """The laptop's counts are published here; the hub publishes the service's itself."""
        if self.scope_service.isChecked():
            self.refresh()
        else:
            self._show(self.counts)

    def _counted(self, counts: CountSet) -> None:
        """New counts: redrawn only when they differ from those shown (showing the page again
        recounts, and redrawing the chart is most of what that would cost)."""
        self.service_as_of = None
        if counts != self.counts:
            self._show(counts)
        else:
            self._say_what_is_shown()

    def shown(self) -> CountSet | None:
        """What the screen shows: the counts, published unless "exact" is ticked (the hub's
        answer is already one or the other)."""
        if self.counts is None:
            return None
        return self.counts if self.exact.isChecked() else self.counts.for_publication()

    def _show(self, counts: CountSet | None) -> None:
        self.counts = counts
        shown = self.shown()
        if shown is None:
            return
        self._lay_out_headlines([h.name for h in shown.headlines])
        for headline in shown.headlines:
            label = self.headline_labels[headline.name]
            label.setAccessibleName(headline.title)
            mark = " †" if headline.name in shown.not_exact else ""
            label.setText(
                f"<b style='font-size:16pt'>{headline.value}{mark}</b><br>{headline.title}"
            )
        self.note.setText(shown.note)
        self.note.setVisible(bool(shown.note))
        self._fill_at_risk(shown.table(AT_RISK))
        self.at_risk_title.setText(shown.table(AT_RISK).title)
        current = self.chart_choice.currentData()
        self.chart_choice.blockSignals(True)
        self.chart_choice.clear()
        for table in shown.tables:
            if table.name != AT_RISK:
                self.chart_choice.addItem(table.title, table.name)
        found = self.chart_choice.findData(current)
        self.chart_choice.setCurrentIndex(max(found, 0))
        self.chart_choice.blockSignals(False)
        self._draw_chart()
        self._say_what_is_shown()

    def _lay_out_headlines(self, names: list[str]) -> None:
        """One label per headline, five to a row, in the set's order; laid out again only when
        the names change (the hub's set has more headlines than the laptop's)."""
        if names == list(self.headline_labels):
            return
        for label in self.headline_labels.values():
            self.headline_grid.removeWidget(label)
            label.deleteLater()
        self.headline_labels = {}
        for index, name in enumerate(names):
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
            self.headline_labels[name] = label
            self.headline_grid.addWidget(label, index // 5, index % 5)

    def _say_what_is_shown(self) -> None:
        shown = self.shown()
        if shown is None:
            return
        what = "published (small numbers suppressed)" if shown.published else EXACT
        what += " except those marked †" if shown.not_exact else ""
        when = self.service_when() or f"counted at {dt.datetime.now():%H:%M:%S}"
        self.message.setText(
            f"{self.scope_name()}: counts {what}, {format_date(shown.start)} to "
            f"{format_date(shown.end)} ({when})."
        )

    def _fill_at_risk(self, table: Table) -> None:
        self.at_risk.setRowCount(len(table.rows))
        for row, ((area, level), n) in enumerate(table.rows):
            cells = (area or "Not recorded", (level or "").replace("_", " ").capitalize(), str(n))
            for column, text in enumerate(cells):
                self.at_risk.setItem(row, column, QTableWidgetItem(text))

    # -- exports ---------------------------------------------------------------------------

    def _ask_and_export(self, kind: str) -> None:
        start, end = self.period()
        suggested = f"outreach-{start:%Y%m%d}-{end:%Y%m%d}.{'zip' if kind == 'csv' else 'pdf'}"
        filters = "Zip of CSV tables (*.zip)" if kind == "csv" else "PDF (*.pdf)"
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind.upper()}", suggested, filters)
        if path:
            self.export_to(kind, Path(path))

    def export_to(self, kind: str, path: Path) -> None:
        """Write the shown counts to `path` on the worker pool (no store needed), with progress."""
        shown = self.shown()
        if shown is None:
            self.message.setText("Nothing counted yet: choose a period first.")
            return

        def write(task: Task) -> Path:
            task.report(0, 1, f"Writing {path.name}…")
            if kind == "csv":
                from outreach.reports.csv_export import write_csv

                write_csv(shown, path)
            else:
                from outreach.reports.pdf_report import write_pdf

                write_pdf(shown, path, vocab=self.ctx.vocab, service_name=self.scope_name())
            task.report(1, 1, "Done")
            return path

        def failed(exc: BaseException) -> None:
            self.message.setText(f"Export failed: {exc}")

        self.message.setText(f"Exporting to {path.name}…")
        self.ctx.ops.network(write).with_progress(f"Exporting {kind.upper()}").success(
            lambda written: self.message.setText(f"Exported to {written}.")
        ).failure(failed).owner(self).run()
