"""CSV export of a count set: one tidy table per count, in a zip (or a folder).

Analysts load each table straight into R, Stata or pandas: one row per category, a header line,
codes (not labels) as values, and a `count` column that, when published, holds 0, "*" or a
multiple of 5. `about.csv` says what the numbers are: period, site, whether disclosure control was
applied, and the rule. There are no total rows (see disclosure.py): headline numbers are a table
of their own.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from outreach import __version__
from outreach.config import write_atomic
from outreach.reports.countset import CountSet, Table
from outreach.reports.disclosure import INDEPENDENT_TOTALS_NOTE


def table_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.header)
    for key, count in table.rows:
        writer.writerow([*("" if value is None else value for value in key), count])
    return buffer.getvalue()


def headlines_csv(counts: CountSet) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("measure", "description", "count"))
    for headline in counts.headlines:
        writer.writerow((headline.name, headline.title, headline.value))
    return buffer.getvalue()


def about_csv(counts: CountSet) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("item", "value"))
    writer.writerow(("period_start", counts.start.isoformat()))
    writer.writerow(("period_end", counts.end.isoformat()))
    writer.writerow(("site", counts.site or "all sites"))
    writer.writerow(("published", "yes" if counts.published else "no (exact counts)"))
    if counts.published:
        writer.writerow(("disclosure_control", counts.disclosure or INDEPENDENT_TOTALS_NOTE))
    if counts.note:
        writer.writerow(("not_exact", " ".join(counts.not_exact)))
        writer.writerow(("note", counts.note))
    writer.writerow(("generated_by", f"Outreach {__version__}"))
    return buffer.getvalue()


def csv_files(counts: CountSet) -> dict[str, str]:
    """File name → CSV text, in a stable order."""
    files = {"about.csv": about_csv(counts), "headlines.csv": headlines_csv(counts)}
    files.update({f"{table.name}.csv": table_csv(table) for table in counts.tables})
    return files


def write_csv(counts: CountSet, out: Path) -> list[Path]:
    """A `.zip` path gets one zip, any other path a folder of CSV files; returns the paths."""
    files = csv_files(counts)
    if out.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        write_atomic(out, buffer.getvalue())
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        write_atomic(out / name, text.encode())
        written.append(out / name)
    return written
