"""The `outreach` command: the composition root. With no sub-command it starts the desktop app."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from outreach import __version__, paths
from outreach.errors import InvalidRecord, OutreachError
from outreach.log import setup_logging
from outreach.reports import commands as report_commands
from outreach.store import commands as store_commands
from outreach.store import user_commands
from outreach.sync import commands as sync_commands

log = logging.getLogger(__name__)

# Each module exposes `register(subparsers)`; its sub-commands set `func(args) -> int`.
COMMAND_GROUPS = (store_commands, user_commands, report_commands, sync_commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outreach",
        description="Record anonymised outreach contacts and naloxone kits, offline. "
        "Without a command, starts the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir", help=f"where the store lives (default: per-user; or ${paths.DATA_DIR_ENV})"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    # `outreach status` lives with the store; what other parts add to it is handed in here.
    parser.set_defaults(status_sections=(sync_commands.status_section,))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    paths.set_data_dir(args.data_dir)
    try:
        setup_logging(args.verbose)
    except OSError as exc:
        sys.stderr.write(f"outreach: error: cannot use the data directory: {exc}\n")
        return 1
    if args.command is None:
        from outreach.ui.app import run

        return run(paths.data_dir())
    try:
        return int(args.func(args))
    except InvalidRecord as exc:
        sys.stderr.write(f"outreach: {exc}\n")
        return 1
    except OutreachError as exc:
        log.info("command %s failed: %s", args.command, type(exc).__name__)
        sys.stderr.write(f"outreach: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("outreach: interrupted\n")
        return 130
