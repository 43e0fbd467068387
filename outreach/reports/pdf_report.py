"""The monthly PDF report (reportlab): a cover, the headline numbers, then a table and a bar chart
per count. Labels come from the code lists; published reports show only disclosure-controlled
values and say so on the cover.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from outreach import __version__
from outreach.config import write_atomic
from outreach.domain.vocab import Vocabulary, base_vocabulary
from outreach.reports.countset import Cell, CountSet, Table
from outreach.reports.disclosure import INDEPENDENT_TOTALS_NOTE, as_number

_STYLES = getSampleStyleSheet()
_GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f4f8")]),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
    ]
)
_BAR = colors.HexColor("#2f6f9f")
CHART_ROWS = 15  # bars per chart: the largest rows; the table lists them all


def label(vocab: Vocabulary, list_name: str, code: Cell) -> str:
    """A code's human label; codes no list knows read as words."""
    if code is None:
        return "Not recorded"
    text = vocab.label(list_name, code) if list_name else code
    return text.replace("_", " ").capitalize() if text == code else text


def _para(text: str, style: str) -> Paragraph:
    """A Paragraph of literal text: reportlab reads `&`, `<` and `>` as markup, so a label such as
    "A&E <Leeds>" or a service name would otherwise be mangled or fail to parse."""
    return Paragraph(escape(text), _STYLES[style])


def _period(counts: CountSet) -> str:
    return f"{counts.start:%d %B %Y} to {counts.end:%d %B %Y}"


def _cover(counts: CountSet, service_name: str, vocab: Vocabulary) -> list[object]:
    site = label(vocab, "site", counts.site) if counts.site else "All sites"
    lines = [
        Spacer(1, 50 * mm),
        _para("Take-home naloxone and outreach", "Title"),
        _para("Monthly report", "Heading2"),
        Spacer(1, 10 * mm),
        _para(f"Period: {_period(counts)}", "Normal"),
        _para(f"Site: {site}", "Normal"),
    ]
    if service_name:
        lines.append(_para(f"Service: {service_name}", "Normal"))
    status = (
        f"For publication. {counts.disclosure or INDEPENDENT_TOTALS_NOTE}"
        if counts.published
        else "Exact counts: NOT for publication (small numbers are not suppressed)."
    )
    lines += [
        Spacer(1, 6 * mm),
        _para(status, "Normal"),
        *([Spacer(1, 4 * mm), _para(counts.note, "Normal")] if counts.note else []),
        Spacer(1, 6 * mm),
        _para(
            f"Generated {dt.date.today():%d %B %Y} by Outreach {__version__}. No client codes or "
            "other identifiers appear in this report.",
            "Italic",
        ),
        PageBreak(),
    ]
    return lines


def _headlines(counts: CountSet) -> list[object]:
    data = [
        ["Measure", "Count"],
        *(
            [h.title, f"{h.value}{' †' if h.name in counts.not_exact else ''}"]
            for h in counts.headlines
        ),
    ]
    table = PdfTable(data, colWidths=[120 * mm, 30 * mm], style=_GRID, hAlign="LEFT")
    return [_para("Headline numbers", "Heading1"), table, Spacer(1, 6 * mm)]


def _chart(values: list[int], names: list[str]) -> Drawing:
    height = 14 * len(values) + 20
    drawing = Drawing(160 * mm, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 55 * mm, 10
    chart.width, chart.height = 95 * mm, height - 20
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = list(reversed(names))
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = _BAR
    drawing.add(chart)
    return drawing


def _section(table: Table, vocab: Vocabulary) -> list[object]:
    """Heading, table (split over pages when long) and a bar chart of the largest rows."""
    title = _para(table.title, "Heading2")
    if not table.rows:
        return [KeepTogether([title, _para("None in this period.", "Normal")])]
    lists = table.vocab_lists or ("",) * len(table.columns)
    names = [
        " / ".join(label(vocab, lists[i], code) for i, code in enumerate(key))
        for key, _ in table.rows
    ]
    header = [" / ".join(c.replace("_", " ").capitalize() for c in table.columns), "Count"]
    counts = [count for _, count in table.rows]
    data = [header, *([name, str(count)] for name, count in zip(names, counts, strict=True))]
    grid = PdfTable(data, colWidths=[120 * mm, 30 * mm], style=_GRID, hAlign="LEFT", repeatRows=1)
    values = [as_number(count) for count in counts[:CHART_ROWS]]
    chart: list[object] = []
    if any(values):
        chart = [Spacer(1, 3 * mm), _chart(values, names[:CHART_ROWS])]
        if len(counts) > CHART_ROWS:
            chart.insert(1, _para(f"Chart: the {CHART_ROWS} largest.", "Italic"))
    if len(counts) <= CHART_ROWS:
        return [KeepTogether([title, grid, *chart]), Spacer(1, 5 * mm)]
    return [title, grid, KeepTogether(chart), Spacer(1, 5 * mm)]


def report_pdf(
    counts: CountSet, *, vocab: Vocabulary | None = None, service_name: str = ""
) -> bytes:
    """The whole report as PDF bytes."""
    vocab = vocab or base_vocabulary()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Outreach monthly report {_period(counts)}",
        author="Outreach",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        pageCompression=1,
    )
    story: list[object] = [*_cover(counts, service_name, vocab), *_headlines(counts)]
    for table in counts.tables:
        story.extend(_section(table, vocab))
    doc.build(story)
    return buffer.getvalue()


def write_pdf(
    counts: CountSet, path: Path, *, vocab: Vocabulary | None = None, service_name: str = ""
) -> None:
    write_atomic(path, report_pdf(counts, vocab=vocab, service_name=service_name))
