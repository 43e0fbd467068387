"""The quarterly take-home naloxone return as PDF (reportlab): a table per national table, a
column per quarter and the year to date; a cover line says whether it is published or exact."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from outreach import __version__
from outreach.config import write_atomic
from outreach.reports.naloxone_return import NOT_RECORDED, NaloxoneReturn, Section

_STYLES = getSampleStyleSheet()
_GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f4f8")]),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
    ]
)


def _para(text: str, style: str) -> Paragraph:
    return Paragraph(escape(text), _STYLES[style])


def _cover(nreturn: NaloxoneReturn, site_label: str) -> list[object]:
    first, last = nreturn.periods[0], nreturn.periods[-1]
    status = (
        f"For publication. {nreturn.status}"
        if nreturn.published
        else "Exact counts: NOT for publication (small numbers are not suppressed)."
    )
    return [
        _para(nreturn.title, "Title"),
        _para(
            f"{nreturn.scope}, {site_label}: {last.start:%d %B %Y} to {last.end:%d %B %Y} "
            f"(quarters from {first.start:%d %B %Y}).",
            "Normal",
        ),
        _para(status, "Normal"),
        _para(
            f"Generated {dt.date.today():%d %B %Y} by Outreach {__version__}. No client codes or "
            "other identifiers appear in this return.",
            "Italic",
        ),
        Spacer(1, 5 * mm),
    ]


def _section(nreturn: NaloxoneReturn, section: Section) -> list[object]:
    title = _para(section.title, "Heading2")
    if section.not_recorded:
        why = f"{NOT_RECORDED.capitalize()}: {section.not_recorded}."
        return [KeepTogether([title, _para(why, "Normal")])]
    data = [
        ["", *nreturn.columns],
        *([label, *(str(value) for value in values)] for _, label, values in section.rows),
    ]
    widths = [90 * mm, *([26 * mm] * len(nreturn.columns))]
    grid = PdfTable(data, colWidths=widths, style=_GRID, hAlign="LEFT", repeatRows=1)
    return [KeepTogether([title, grid]), Spacer(1, 4 * mm)]


def return_pdf(nreturn: NaloxoneReturn, site_label: str = "all sites") -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=nreturn.title,
        author="Outreach",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        pageCompression=1,
    )
    story = _cover(nreturn, site_label)
    for section in nreturn.sections:
        story.extend(_section(nreturn, section))
    doc.build(story)
    return buffer.getvalue()


def write_return_pdf(nreturn: NaloxoneReturn, path: Path, site_label: str = "all sites") -> None:
    write_atomic(path, return_pdf(nreturn, site_label))
