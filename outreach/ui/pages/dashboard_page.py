"""Dashboard (coordinator): period and site, headline numbers, a chart per count, the at-risk list
by area, and CSV / PDF exports with progress. Counting runs on the store thread; exports write
files from the counts already taken, so the numbers on screen are the numbers exported.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QPointF, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGraphicsSimpleTextItem,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from outreach.reports.countset import CountSet, Table
from outreach.reports.disclosure import Published, as_number
from outreach.store.store import Changes, Store
from outreach.ui.context import AppContext
from outreach.ui.dates import QT_DATE_FORMAT, format_date, month_span
from outreach.ui.task import Task

if TYPE_CHECKING:  # QtCharts is imported on first use: it is slow to load
    from PySide6.QtCharts import QAbstractSeries, QChart

AT_RISK = "high_risk_without_kit_by_area"
MAX_TICKS = 6  # value-axis labels, counting 0


def integer_axis(largest: int) -> tuple[int, int]:
    """(top, tick count) for a count axis from 0: whole-number ticks 1, 2 or 5 × 10^k apart.

    Qt's default five ticks over 0..2 are 0, 0.5, 1, 1.5, 2, printed "0 0 1 1 2" as integers.
    """
    largest = max(largest, 1)
    step = 1
    while True:
        for factor in (1, 2, 5):
            candidate = step * factor
            if -(-largest // candidate) <= MAX_TICKS - 1:
                top = -(-largest // candidate) * candidate
                return top, top // candidate + 1
        step *= 10


def _date_edit(name: str, day: dt.date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setAccessibleName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(QT_DATE_FORMAT)
    return edit


def _to_date(edit: QDateEdit) -> dt.date:
    date = edit.date()
    return dt.date(date.year(), date.month(), date.day())


class DashboardPage(QWidget):
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
        self.publish = QCheckBox("For &publication (suppress small numbers)")
        self.refresh_button = QPushButton("&Refresh")
        self.export_csv_button = QPushButton("Export &CSV…")
        self.export_pdf_button = QPushButton("Export &PDF…")
        self.message = QLabel()
        self.message.setAccessibleName("Dashboard message")
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
        self._connect()

    def _lay_out(self) -> None:
        # Period and filters on two rows, so that the page fits a 1080p screen at 200% scaling.
        period = QHBoxLayout()
        for widget in (QLabel("From"), self.start, QLabel("to"), self.end):
            period.addWidget(widget)
        period.addWidget(self.this_month)
        period.addWidget(self.last_month)
        period.addStretch(1)
        filters = QHBoxLayout()
        filters.addWidget(self.site)
        filters.addWidget(self.publish)
        filters.addStretch(1)
        filters.addWidget(self.refresh_button)
        exports = QHBoxLayout()
        exports.addWidget(self.message, 1)
        exports.addWidget(self.export_csv_button)
        exports.addWidget(self.export_pdf_button)
        charts = QVBoxLayout()
        charts.addWidget(self.chart_choice)
        charts.addWidget(self.chart_view, 1)
        risk = QVBoxLayout()
        risk.addWidget(QLabel("High-risk people without a kit in the period"))
        risk.addWidget(self.at_risk, 1)
        lower = QHBoxLayout()
        lower.addLayout(charts, 3)
        lower.addLayout(risk, 2)
        layout = QVBoxLayout(self)
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
        self.publish.toggled.connect(lambda _: self._show(self.counts))
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

        def count(store: Store) -> CountSet:
            from outreach.reports.commissioner import local_counts

            return local_counts(store.conn, start, end, site)

        self.ctx.ops.store(count).success(self._counted).owner(self).run()

    def _counted(self, counts: CountSet) -> None:
        """New counts: redrawn only when they differ from those shown (showing the page again
        recounts, and redrawing the chart is most of what that would cost)."""
        if counts != self.counts:
            self._show(counts)
        else:
            self._say_what_is_shown()

    def shown(self) -> CountSet | None:
        """What the screen shows: the counts, published when the box is ticked."""
        if self.counts is None:
            return None
        return self.counts.for_publication() if self.publish.isChecked() else self.counts

    def _show(self, counts: CountSet | None) -> None:
        self.counts = counts
        shown = self.shown()
        if shown is None:
            return
        for index, headline in enumerate(shown.headlines):
            label = self.headline_labels.get(headline.name)
            if label is None:
                label = QLabel()
                label.setAccessibleName(headline.title)
                label.setTextFormat(Qt.TextFormat.RichText)
                label.setWordWrap(True)
                self.headline_labels[headline.name] = label
                self.headline_grid.addWidget(label, index // 5, index % 5)
            mark = " †" if headline.name in shown.not_exact else ""
            label.setText(
                f"<b style='font-size:16pt'>{headline.value}{mark}</b><br>{headline.title}"
            )
        self.note.setText(shown.note)
        self.note.setVisible(bool(shown.note))
        self._fill_at_risk(shown.table(AT_RISK))
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

    def _say_what_is_shown(self) -> None:
        shown = self.shown()
        if shown is None:
            return
        what = "published (small numbers suppressed)" if shown.published else "exact"
        what += " except those marked †" if shown.not_exact else ""
        self.message.setText(
            f"Counts {what}, {format_date(shown.start)} to {format_date(shown.end)}"
            f" (counted at {dt.datetime.now():%H:%M:%S})."
        )

    def _fill_at_risk(self, table: Table) -> None:
        self.at_risk.setRowCount(len(table.rows))
        for row, ((area, level), n) in enumerate(table.rows):
            cells = (area or "Not recorded", (level or "").replace("_", " ").capitalize(), str(n))
            for column, text in enumerate(cells):
                self.at_risk.setItem(row, column, QTableWidgetItem(text))

    # -- chart (QtCharts is imported on first use: it is slow to load) -----------------------

    def _make_chart_view(self) -> QWidget:
        from PySide6.QtCharts import QChart, QChartView
        from PySide6.QtGui import QPainter

        chart = QChart()
        chart.legend().hide()
        view = QChartView(chart)
        view.setAccessibleName("Chart of the chosen count")
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setMinimumHeight(220)
        self.value_labels: list[QGraphicsSimpleTextItem] = []
        self._labels_follow = False
        return view

    def chart_values(self) -> list[tuple[str, Published]]:
        """The bars now drawn: (label, value as shown), suppressed cells as "*"."""
        shown = self.shown()
        name = self.chart_choice.currentData()
        if shown is None or name is None:
            return []
        table = shown.table(name)
        list_name = table.vocab_lists[0] if table.vocab_lists else ""
        return [
            (
                self.ctx.vocab.label(list_name, key[0]) if key[0] else "Not recorded",
                n,
            )
            for key, n in table.rows
        ]

    def _draw_chart(self) -> None:
        from PySide6.QtCharts import QBarCategoryAxis, QBarSet, QHorizontalBarSeries, QValueAxis

        chart = self.chart_view.chart()  # type: ignore[attr-defined]
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self._clear_value_labels()
        values = list(reversed(self.chart_values()))
        chart.setTitle(self.chart_choice.currentText())
        if not values:
            return
        bars = QBarSet("count")
        bars.append([float(as_number(v)) for _, v in values])
        series = QHorizontalBarSeries()
        series.append(bars)
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([name for name, _ in values])
        chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)
        axis = QValueAxis()
        top, ticks = integer_axis(max(as_number(v) for _, v in values))
        axis.setRange(0, top)
        axis.setTickCount(ticks)
        axis.setLabelFormat("%d")
        chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis)
        self._add_value_labels(chart, series, values)

    # Each bar is labelled with its value as shown: a suppressed cell reads "*" where a bar of no
    # length would say nothing (Qt's own bar labels can show numbers only).

    def _clear_value_labels(self) -> None:
        for item in self.value_labels:
            scene = item.scene()
            if scene is not None:
                scene.removeItem(item)  # and from the chart, its parent
        self.value_labels = []

    def _add_value_labels(
        self, chart: QChart, series: QAbstractSeries, values: list[tuple[str, Published]]
    ) -> None:
        for index, (_, value) in enumerate(values):
            item = QGraphicsSimpleTextItem(str(value), chart)
            item.setData(0, (as_number(value), index))
            self.value_labels.append(item)
        if not self._labels_follow:
            chart.plotAreaChanged.connect(lambda _area: self._place_value_labels())
            self._labels_follow = True
        self._series = series
        self._place_value_labels()

    def _place_value_labels(self) -> None:
        chart = self.chart_view.chart()  # type: ignore[attr-defined]
        for item in self.value_labels:
            length, index = item.data(0)
            at = chart.mapToPosition(QPointF(length, index), self._series)
            box = item.boundingRect()
            item.setPos(at.x() + 4, at.y() - box.height() / 2)

    def chart_value_labels(self) -> list[str]:
        """The value written at each bar, bottom to top (as drawn)."""
        return [item.text() for item in self.value_labels]

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

                write_pdf(shown, path, vocab=self.ctx.vocab)
            task.report(1, 1, "Done")
            return path

        def failed(exc: BaseException) -> None:
            self.message.setText(f"Export failed: {exc}")

        self.message.setText(f"Exporting to {path.name}…")
        self.ctx.ops.network(write).with_progress(f"Exporting {kind.upper()}").success(
            lambda written: self.message.setText(f"Exported to {written}.")
        ).failure(failed).owner(self).run()
