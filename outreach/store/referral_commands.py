"""CLI: `outreach referrals import FILE` — a receiving service's outcomes, all lines or none."""

from __future__ import annotations

import argparse
import json
import sys

from outreach import config
from outreach.cli_support import CommandError, open_store_from_args
from outreach.domain.vocab import base_vocabulary

IMPORT_HELP = """Import referral outcomes from a CSV sent by the receiving service: one line per
outcome, three columns: referral code (R-XXXX-XXXX), outcome (attended, assessed,
started_treatment, did_not_attend, not_known — or their labels), date (2026-11-03 or
03/11/2026). A header line is optional. If any line is bad nothing is saved and every bad line
is named with its field; lines already recorded are skipped. Coordinators only."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    referrals = commands.add_parser("referrals", help="referral outcomes (coordinators)")
    actions = referrals.add_subparsers(dest="referrals_command", metavar="ACTION", required=True)
    imported = actions.add_parser(
        "import", help="import outcomes from a CSV (all-or-nothing)", description=IMPORT_HELP
    )
    imported.add_argument("file", help="the CSV file")
    imported.add_argument("--site", help="the site recording them (default: your last site)")
    imported.add_argument("--user")
    imported.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from outreach.store.referral_import import OutcomeFileRefused, import_outcomes

    site = args.site or config.load_settings().default_site or "service_hub"
    if not base_vocabulary().has("site", site):
        raise CommandError(f"unknown site '{site}'")
    try:
        with open(args.file, "rb") as source:
            data = source.read()
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    store = open_store_from_args(args)
    try:
        try:
            result = import_outcomes(store, data, site)
        except OutcomeFileRefused as refused:
            for error in refused.errors:
                sys.stderr.write(f"outreach: {error}\n")
            sys.stderr.write("outreach: nothing was saved\n")
            return 1
    finally:
        store.close()
    json.dump({"saved": result.saved, "already_recorded": result.already}, sys.stdout)
    sys.stdout.write("\n")
    return 0
