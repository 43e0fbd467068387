"""The `outreach` command: the composition root. With no sub-command it starts the desktop app.

The desktop app is what most people start, so that path parses the global options alone and never
imports the sub-commands' modules (the store, reports and sync stacks): the first window paints
sooner (start-up budget, DESIGN §7). Anything else goes through the full parser.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from outreach import __version__, paths
from outreach.errors import InvalidRecord, OutreachError
from outreach.log import setup_logging

log = logging.getLogger(__name__)

# Each module exposes `register(subparsers)`; its sub-commands set `func(args) -> int`.
COMMAND_GROUPS = (
    "outreach.store.commands",
    "outreach.store.user_commands",
    "outreach.store.referral_commands",
    "outreach.reports.commands",
    "outreach.sync.commands",
)
DESCRIPTION = (
    "Record anonymised outreach contacts and naloxone kits, offline. "
    "Without a command, starts the desktop app."
)


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir", help=f"where the store lives (default: per-user; or ${paths.DATA_DIR_ENV})"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")


def command_groups() -> list[ModuleType]:
    return [importlib.import_module(name) for name in COMMAND_GROUPS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outreach", description=DESCRIPTION)
    _add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in command_groups():
        group.register(commands)
    # `outreach status` lives with the store; what other parts add to it is handed in here.
    from outreach.sync import commands as sync_commands

    parser.set_defaults(status_sections=(sync_commands.status_section,))
    return parser


def desktop_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The options when `argv` starts the desktop app (global options only), else None."""
    parser = argparse.ArgumentParser(prog="outreach", add_help=False, exit_on_error=False)
    _add_global_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return None  # the full parser says what is wrong, with the whole usage
    if rest:
        return None
    args.command = None
    return args


def _reader_went_away() -> int:
    """`outreach status | head`: the reader closed the pipe, which is not an error to report.
    Output goes to /dev/null from here so the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # what a shell reports for a writer stopped by SIGPIPE (128 + 13)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = desktop_args(argv) or build_parser().parse_args(argv)
    paths.set_data_dir(args.data_dir)
    if getattr(args, "reads_only", False) and not paths.data_dir_path().is_dir():
        # A read-only command must not make the folder it reports on (nor its log folder).
        sys.stderr.write(
            f"outreach: error: no data folder at {paths.data_dir_path()}: check --data-dir"
            f" (or ${paths.DATA_DIR_ENV}), or run 'outreach init' to make a store there\n"
        )
        return 1
    try:
        setup_logging(args.verbose)
    except OSError as exc:
        sys.stderr.write(f"outreach: error: cannot use the data directory: {exc}\n")
        return 1
    if args.command is None:
        from outreach.ui.app import run

        return run(paths.data_dir())
    from outreach.stock.companion import register  # the ledger's rules join every store write

    register()
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
    except BrokenPipeError:
        return _reader_went_away()
    except Exception as exc:
        error = _store_error(exc)
        if error is None:
            raise
        log.info("command %s failed (%s): %s", args.command, type(error).__name__, exc)
        sys.stderr.write(f"outreach: error: {error}\n")
        return 1


def _store_error(exc: Exception) -> OutreachError | None:
    """A SQLCipher error that escaped a command (a query on the connection met a damaged page):
    the same clear message as the store's own methods give. Only loaded stores can raise one."""
    if "outreach.store.connection" not in sys.modules:
        return None
    from outreach.store.connection import store_error

    return store_error(exc)
