"""The dashboard's bar chart of the chosen count (a mixin of `DashboardPage`): one bar per row
as shown, each labelled with its value as shown ("*" for a suppressed cell). QtCharts is imported
on first use: it is slow to load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QComboBox, QGraphicsSimpleTextItem, QWidget

from outreach.reports.countset import CountSet
from outreach.reports.disclosure import Published, as_number
from outreach.ui.context import AppContext

if TYPE_CHECKING:
    from PySide6.QtCharts import QAbstractSeries, QChart

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


class ChartMixin:
    """Needs `ctx`, `chart_choice` and `shown()` from the page."""

    ctx: AppContext
    chart_choice: QComboBox
    chart_view: QWidget

    def shown(self) -> CountSet | None:
        raise NotImplementedError

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
