"""CLI commands for reports: `outreach counts`, `outreach export csv|pdf` and `outreach card`."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from outreach.cli_support import CommandError, open_store_from_args, parse_date
from outreach.records.facts import count_fields

log = logging.getLogger(__name__)
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(9999, 12, 31)

EXPORT_HELP = """Counts for a period as CSV (one tidy table per count: a .zip, or a folder for any
other --out) or as the monthly PDF report. --publish applies disclosure control (0 stays 0, 1-7
shown as *, others rounded to the nearest 5). Client codes never appear in an export."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    count = commands.add_parser("counts", help="counts grouped by fields and period")
    count.add_argument("--from", dest="start", type=parse_date, default=EARLIEST)
    count.add_argument("--to", dest="end", type=parse_date, default=LATEST)
    count.add_argument("--by", type=parse_fields, default=[], help="e.g. product,recipient,month")
    count.add_argument(
        "--type", choices=list(count_fields()), help="record type (default: inferred)"
    )
    count.add_argument("--format", choices=("json", "csv"), default="json")
    count.add_argument("--publish", action="store_true", help="apply disclosure control")
    count.add_argument("--user")
    count.set_defaults(func=cmd_counts)

    export = commands.add_parser(
        "export", help="export counts as CSV or PDF", description=EXPORT_HELP
    )
    export.add_argument("format", choices=("csv", "pdf"))
    export.add_argument("--from", dest="start", type=parse_date)
    export.add_argument("--to", dest="end", type=parse_date)
    export.add_argument(
        "--period", help="instead of --from/--to: 2026-01, FY2026-27 or FY2026-27 Q1 (April-March)"
    )
    export.add_argument("--out", type=Path, required=True, help="file (.zip / .pdf) or folder")
    export.add_argument("--publish", action="store_true", help="apply disclosure control")
    export.add_argument("--site", help="one site's records only (default: all sites)")
    export.add_argument("--service", default="", help="service name for the PDF cover")
    export.add_argument("--user")
    export.set_defaults(func=cmd_export)

    card = commands.add_parser("card", help="print a referral card (PDF with QR)")
    card.add_argument("--referral", required=True, help="referral code, R-XXXX-XXXX")
    card.add_argument("--out", type=Path, required=True, help="PDF file to write")
    card.add_argument("--destination", default="", help="where the card refers to")
    card.add_argument("--service", default="", help="service name printed on the card")
    card.set_defaults(func=cmd_card)


def parse_fields(text: str) -> list[str]:
    return [field.strip() for field in text.split(",") if field.strip()]


def cmd_counts(args: argparse.Namespace) -> int:
    from outreach.reports.disclosure import publish_rows
    from outreach.store.counts import rolled_up
    from outreach.store.purge import purged_overlap

    if args.start > args.end:
        raise CommandError("--from is after --to")
    store = open_store_from_args(args)
    try:
        rows = store.counts(args.by, args.start, args.end, args.type)
        purged = purged_overlap(store.conn, args.start, args.end)
    finally:
        store.close()
    if purged is not None and not rolled_up(args.by, args.type):
        sys.stderr.write(
            f"note: records from {purged.first:%d %b %Y} to {purged.last:%d %b %Y} have left "
            "this laptop after the hub confirmed them (retention), and this grouping needs each "
            "record: it counts only what is still here (the hub has the full figures). Counts by "
            "one field, site and day, week, month or year are kept whole.\n"
        )
    if args.publish:
        rows = publish_rows(rows)
    write_rows(rows, [*args.by, "count"], args.format, sys.stdout)
    return 0


def write_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump(rows, out, indent=1)
        out.write("\n")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    out.write(buffer.getvalue())


def _check_out(out: Path) -> None:
    if not out.parent.exists():
        raise CommandError(f"the folder {out.parent} does not exist")


def cmd_export(args: argparse.Namespace) -> int:
    from outreach.reports.commissioner import store_counts

    _period_dates(args)
    if args.start > args.end:
        raise CommandError("--from is after --to")
    _check_out(args.out)
    if args.format == "pdf" and args.out.suffix.lower() != ".pdf":
        raise CommandError("--out for a PDF must end in .pdf")
    store = open_store_from_args(args)
    try:
        counts = store_counts(store, args.start, args.end, args.site)
    finally:
        store.close()
    if args.publish:
        counts = counts.for_publication()
    if args.format == "csv":
        from outreach.reports.csv_export import write_csv

        written = write_csv(counts, args.out)
        sys.stdout.write(f"wrote {len(written)} file(s) to {args.out}\n")
    else:
        from outreach.reports.pdf_report import write_pdf

        write_pdf(counts, args.out, service_name=args.service)
        sys.stdout.write(f"wrote {args.out}\n")
    return 0


def _period_dates(args: argparse.Namespace) -> None:
    """Set --from/--to from --period (financial years and quarters run April to March)."""
    from outreach.reports.periods import parse_period

    if args.period is not None:
        if args.start or args.end:
            raise CommandError("give --period or --from/--to, not both")
        try:
            args.start, args.end, _ = parse_period(args.period)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    elif args.start is None or args.end is None:
        raise CommandError("give --from and --to, or --period")


def cmd_card(args: argparse.Namespace) -> int:
    from outreach.reports.cards import referral_card

    _check_out(args.out)
    referral_card(
        args.out, args.referral.strip().upper(), args.destination, service_name=args.service
    )
    sys.stdout.write(f"wrote {args.out}\n")
    return 0
