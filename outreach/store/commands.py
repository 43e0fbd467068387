"""CLI commands for the local store: init, record, status (counts live with the reports)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from outreach import config, paths
from outreach.cli_support import CommandError, open_store_from_args, read_passphrase
from outreach.domain.roles import ROLES
from outreach.errors import InvalidRecord, NotPermitted, RepeatSerial
from outreach.records import registry
from outreach.records.record_lines import parse_lines
from outreach.store.kit_issue import refuse_repeat_serials
from outreach.store.purge import purged_status
from outreach.store.session import create_store, load_vault, store_exists
from outreach.store.vocabulary import current_vocabulary

log = logging.getLogger(__name__)
MAX_REPORTED_ERRORS = 50


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser("init", help="create the encrypted store and the first user")
    init.add_argument("--user", required=True, help="user id (letters, digits, . _ -)")
    init.add_argument("--role", required=True, choices=ROLES)
    init.set_defaults(func=cmd_init)

    record = commands.add_parser(
        "record",
        help="save records from JSON lines (all-or-nothing)",
        description=record_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    record.add_argument("--file", default="-", help="JSON-lines file, or - for stdin (default)")
    record.add_argument("--user", help="who records (default: the only or last user)")
    record.add_argument(
        "--allow-repeat-serial",
        action="store_true",
        help="issue kits whose pack serial was issued before (refused otherwise)",
    )
    record.set_defaults(func=cmd_record)

    status = commands.add_parser("status", help="store, users, records, sync and integrity (JSON)")
    status.add_argument("--check", action="store_true", help="verify every page (slower)")
    status.add_argument("--user")
    status.set_defaults(func=cmd_status, reads_only=True)


def record_help() -> str:
    """`outreach record --help`: every registered record type with its one-line help."""
    kinds = "\n".join(f"  {spec.name}: {spec.help}" for spec in registry.types())
    return (
        'Each line is one JSON object with a "type" and its fields; id, occurred_at and\n'
        "recorded_by are filled in when absent. If any line is invalid nothing is saved and\n"
        f"every bad line is reported. Types:\n{kinds}"
    )


def cmd_init(args: argparse.Namespace) -> int:
    data_dir = paths.data_dir()
    if store_exists(data_dir):
        raise CommandError(f"a store already exists in {data_dir}")
    passphrase = read_passphrase("New passphrase: ", confirm=True)
    store, recovery = create_store(data_dir, args.user, args.role, passphrase)
    user = store.user  # the stored (NFC) form of the name
    store.close()
    config.update_settings(last_user=user)
    sys.stderr.write(
        "Store created. Write down this recovery key and keep it safe: it is shown only once\n"
        "and opens the store if every passphrase is forgotten.\n"
    )
    json.dump({"data_dir": str(data_dir), "user": user, "recovery_key": recovery}, sys.stdout)
    sys.stdout.write("\n")
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(args.file, "rb") as source:
                data = source.read()
        except OSError as exc:
            raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
    # Bytes, split on \n / \r only: each line is decoded on its own, so text that is not UTF-8
    # is an error naming its line, and a U+2028 inside a JSON string does not split a record.
    lines = data.splitlines()
    store = open_store_from_args(args)
    try:
        records, errors = parse_lines(lines, store.user, current_vocabulary(store))
        if errors:
            for error in errors[:MAX_REPORTED_ERRORS]:
                sys.stderr.write(f"outreach: {error}\n")
            if len(errors) > MAX_REPORTED_ERRORS:
                sys.stderr.write(f"outreach: … and {len(errors) - MAX_REPORTED_ERRORS} more\n")
            sys.stderr.write("outreach: nothing was saved\n")
            return 1
        if not records:
            raise CommandError("no records in the input")
        try:
            if not args.allow_repeat_serial:
                refuse_repeat_serials(store, records)
            store.add(records)
        except RepeatSerial as exc:
            sys.stderr.write(
                f"outreach: {exc}; nothing was saved (--allow-repeat-serial issues it anyway)\n"
            )
            return 1
        except (InvalidRecord, NotPermitted) as exc:
            sys.stderr.write(f"outreach: {exc}; nothing was saved\n")
            return 1
        json.dump({"saved": len(records), "last_seq": store.last_seq()}, sys.stdout)
        sys.stdout.write("\n")
    finally:
        store.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    data_dir = paths.data_dir()
    status: dict[str, Any] = {"data_dir": str(data_dir), "store": store_exists(data_dir)}
    if status["store"]:
        status["users"] = [{"user": u, "role": r} for u, r in load_vault(data_dir).users()]
        store = open_store_from_args(args)
        try:
            status.update(
                device_id=store.device_id,
                records=store.record_count(),
                last_seq=store.last_seq(),
                purged=purged_status(store.conn),
            )
            for section in getattr(args, "status_sections", ()):
                status.update(section(store))
            if args.check:
                problems = store.verify()
                status["integrity"] = problems or "ok"
        finally:
            store.close()
    json.dump(status, sys.stdout, indent=1)
    sys.stdout.write("\n")
    if not status["store"]:
        sys.stderr.write(f"outreach: no store in {data_dir}: run 'outreach init' to make one\n")
        return 1
    return 0 if status.get("integrity", "ok") == "ok" else 1
