"""Device CLI: `outreach enrol CODE` and `outreach sync [--to-dir DIR]` (JSON on stdout)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TYPE_CHECKING

from outreach.cli_support import open_store_from_args

if TYPE_CHECKING:
    from outreach.store.store import Store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    enrol = commands.add_parser("enrol", help="enrol this device with a hub (one-time code)")
    enrol.add_argument("code", help="the enrolment code text, or - to read it from stdin")
    enrol.add_argument("--user")
    enrol.add_argument(
        "--unlink-local-codes",
        action="store_true",
        help="enrol although records carry client codes made with this device's own key (they "
        "will not match the service's codes; refused without this)",
    )
    enrol.set_defaults(func=cmd_enrol)

    sync = commands.add_parser("sync", help="send pending records to the hub")
    sync.add_argument("--to-dir", help="write sealed batch files here instead (USB transfer)")
    sync.add_argument(
        "--re-enrol",
        metavar="CODE",
        help="enrol again as a new device (a store restored from an old copy), then sync; "
        "CODE is a new enrolment code, or - to read it from stdin",
    )
    sync.add_argument(
        "--import-summaries",
        metavar="FILE",
        help="read a client summaries file made by 'outreach-hub summaries-export' (USB)",
    )
    sync.add_argument("--user")
    sync.set_defaults(func=cmd_sync)


def status_section(store: Store) -> dict[str, object]:
    """What `outreach status` shows of sync: the hub, records waiting, the last sync."""
    from outreach.store.summaries import summaries_as_of, summary_count
    from outreach.sync import enrolment, state

    pins = state.hub_pins(store)
    as_of = summaries_as_of(store)
    last = enrolment.last_sync(store)
    return {
        "sync": {
            "enrolled": pins is not None,
            "hub": pins.url if pins else None,
            "hub_fingerprint": pins.fingerprint if pins else None,
            "pending": enrolment.pending_count(store),
            "acked_through": state.acked_through(store),
            "last_sync": last.isoformat() if last else None,
            "unlinked_client_codes": enrolment.unlinked_client_codes(store),
            "needs_re_enrol": store.meta(state.OUT_OF_STEP) == "1",
            "previous_device_ids": (store.meta(state.PREVIOUS_IDS) or "").split(),
            "client_summaries": summary_count(store),
            "summaries_as_of": as_of.isoformat() if as_of else None,
        }
    }


def _out(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def cmd_enrol(args: argparse.Namespace) -> int:
    from outreach.sync.enrolment import codes_to_unlink, enrol

    code = sys.stdin.read() if args.code == "-" else args.code
    with open_store_from_args(args) as store:
        unlinked = codes_to_unlink(store)
        if unlinked and not args.unlink_local_codes:
            sys.stderr.write(
                f"outreach: {unlinked} record(s) here carry client codes made with this device's "
                "own key. After enrolling, the service's key makes the codes, so the same people "
                "get different codes and those records will not match them (they are kept, and "
                'marked "not linked" in History). Not enrolled: run again with '
                "--unlink-local-codes to go ahead.\n"
            )
            return 1
        info = enrol(store, code)
    _out(dataclasses.asdict(info))
    if info.unlinked_client_codes:
        sys.stderr.write(
            f"outreach: enrolled; {info.unlinked_client_codes} record(s) keep client codes from "
            "this device's own key (not linked to the service's codes)\n"
        )
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from outreach.sync import client, files, reenrol

    code = None
    if args.re_enrol:
        code = sys.stdin.read() if args.re_enrol == "-" else args.re_enrol
    if args.import_summaries:
        return _import_summaries(args)
    with open_store_from_args(args) as store:
        enrolled = None
        if code is not None:
            enrolled = dataclasses.asdict(reenrol.re_enrol(store, code))
        if args.to_dir:
            written = files.write_batches(store, args.to_dir)
            out: dict[str, object] = {"files": [str(path) for path in written]}
            if enrolled is not None:
                out["re_enrolled"] = enrolled
            _out(out)
            return 0

        def report(done: int, total: int) -> None:
            if sys.stderr.isatty():
                sys.stderr.write(f"\rsent {done} of {total}")

        result = client.sync_now(store, progress=report)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
    data = dataclasses.asdict(result)
    data["receipts"] = len(result.receipts)
    if enrolled is not None:
        data["re_enrolled"] = enrolled
    _out(data)
    return 0


def _import_summaries(args: argparse.Namespace) -> int:
    from outreach.store.summaries import summary_count
    from outreach.sync.summary_pull import import_file

    with open_store_from_args(args) as store:
        page = import_file(store, args.import_summaries)
        held = summary_count(store)
    _out({"imported": len(page.entries), "through": page.through, "summaries_held": held})
    return 0
