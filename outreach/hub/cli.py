"""`outreach-hub`: set up, serve and administer the reference hub."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec
import platformdirs

from outreach.domain.roles import ROLES
from outreach.errors import InvalidRecord, OutreachError
from outreach.hub import db
from outreach.hub.keys import create_keys, load_keys
from outreach.hub.limits import HEADER_SECONDS, MAX_BATCH_BYTES
from outreach.hub.service import Hub, HubError
from outreach.sync.protocol import Reference, SignedReceipt

log = logging.getLogger(__name__)
HOME_ENV = "OUTREACH_HUB_HOME"
DB_ENV = "OUTREACH_HUB_DB"


class HubCommandError(OutreachError):
    """The command line asked for something impossible (bad file, bad dates)."""


def _home(args: argparse.Namespace) -> Path:
    text = args.home or os.environ.get(HOME_ENV) or platformdirs.user_data_dir("outreach-hub")
    return Path(text)


def _db_url(args: argparse.Namespace) -> str:
    return args.db or os.environ.get(DB_ENV) or f"sqlite:///{_home(args) / 'hub.db'}"


def open_hub(args: argparse.Namespace) -> Hub:
    hub = Hub(db.make_engine(_db_url(args)), load_keys(_home(args)))
    hub.reference()  # fails clearly if the database was never initialised
    hub.upgrade()  # an older hub's recorded migrations; nothing on one up to date
    return hub


def _out(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def cmd_init(args: argparse.Namespace) -> int:
    home = _home(args)
    keys = create_keys(home)
    hub = Hub(db.make_engine(_db_url(args)), keys)
    hub.initialise()
    _out(
        {"home": str(home), "hub": keys.fingerprint, "admin_token_file": str(home / "admin-token")}
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from outreach.hub import limits
    from outreach.hub.app import create_app
    from outreach.hub.http_guard import HEADER_ENV, GuardedHttp

    hub = open_hub(args)
    os.environ[HEADER_ENV] = str(args.header_timeout)  # read by each worker's protocol
    options = {
        "host": args.host,
        "port": args.port,
        "log_level": "warning",
        "ssl_certfile": args.tls_cert,
        "ssl_keyfile": args.tls_key,
        "http": GuardedHttp,  # header deadline and size (slow-loris)
        "limit_concurrency": limits.MAX_CONNECTIONS,
    }
    scheme = "https" if args.tls_cert else "http"
    sys.stdout.write(f"outreach-hub: listening on {scheme}://{args.host}:{args.port}\n")
    sys.stdout.flush()
    if args.workers > 1:
        # Several processes: each builds its own app from the environment (rate is per worker).
        os.environ.update(
            OUTREACH_HUB_HOME=str(_home(args)),
            OUTREACH_HUB_DB=_db_url(args),
            OUTREACH_HUB_RATE=str(args.rate),
            OUTREACH_HUB_ADMIN_REMOTE="1" if args.admin_remote else "0",
        )
        hub.engine.dispose()
        from outreach.hub.workers import serve_workers

        return serve_workers(args.workers, options)
    app = create_app(
        hub, rate=args.rate, burst=max(args.rate * 4, 1), admin_remote=args.admin_remote
    )
    uvicorn.run(app, **options)
    return 0


def cmd_enrol(args: argparse.Namespace) -> int:
    import qrcode

    hub = open_hub(args)
    if args.tls_cert:
        hub.tls_fingerprint = tls_fingerprint(Path(args.tls_cert))
    code = hub.new_enrolment(args.url, args.label, args.days, args.role)
    text = code.text()
    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr_path = Path(args.qr)
    image.save(str(qr_path))
    sys.stdout.write(text + "\n")
    sys.stderr.write(
        f"QR code written to {qr_path}; the code enrols one {args.role} device, "
        f"within {args.days} days\n"
    )
    return 0


def tls_fingerprint(cert_pem: Path) -> str:
    """sha256 of the certificate (DER), as devices pin it."""
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def cmd_revoke(args: argparse.Namespace) -> int:
    open_hub(args).revoke(args.device)
    _out({"revoked": args.device})
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    _out(open_hub(args).list_devices())
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from outreach.hub.coordinator import audit_log

    _out(audit_log(open_hub(args)))
    return 0


def _read_batch_file(path: Path) -> bytes:
    """The file's bytes; a file larger than any batch is refused without reading it."""
    if path.stat().st_size > MAX_BATCH_BYTES:
        raise HubError(f"larger than a batch can be ({MAX_BATCH_BYTES} bytes)")
    return path.read_bytes()


def cmd_import(args: argparse.Namespace) -> int:
    """One result per file, in order; a bad file is reported and the others still go in."""
    hub = open_hub(args)
    results, failed = [], 0
    for name in args.files:
        path = Path(name)
        try:
            body = hub.ingest(_read_batch_file(path), via="file")
            receipt = msgspec.json.decode(body, type=SignedReceipt)
            result = msgspec.structs.asdict(receipt.verify(hub.keys.sign.public_key()))
        except (OSError, HubError) as exc:
            failed += 1
            results.append({"file": str(path), "error": str(exc)})
            continue
        except Exception as exc:  # noqa: BLE001 - one file's surprise must not lose the rest
            log.debug("import of %s failed", path, exc_info=True)  # -v shows where
            failed += 1
            results.append({"file": str(path), "error": f"could not import: {exc!r}"})
            continue
        results.append({"file": str(path), **result})
    _out(results)
    if failed:
        sys.stderr.write(f"outreach-hub: {failed} of {len(results)} files were not imported\n")
    return 1 if failed else 0


def cmd_reference(args: argparse.Namespace) -> int:
    hub = open_hub(args)
    try:
        reference = msgspec.json.decode(Path(args.file).read_bytes(), type=Reference)
    except (OSError, msgspec.DecodeError) as exc:
        raise HubCommandError(f"cannot read reference data: {exc}") from None
    if reference.service_key:  # the key is the hub's own: never replaced from a file
        raise HubCommandError("the service key is made by the hub and cannot be set from a file")
    released = hub.set_reference(reference)
    _out({"reference_version": reference.version, "quarantine": released.report()})
    if released.released:
        sys.stderr.write(f"outreach-hub: {released.detail()}\n")
    return 0


def cmd_recheck(args: argparse.Namespace) -> int:
    """Check quarantined records again with today's reference data (`reference` does this
    itself; this is for a change that raced a batch, or after an upgrade)."""
    released = open_hub(args).recheck_quarantine()
    _out({"quarantine": released.report()})
    return 0


def cmd_summaries_export(args: argparse.Namespace) -> int:
    """A hub-signed file of every client summary for one device, carried by USB and read by
    `outreach sync --import-summaries FILE` (the same checks as a pull)."""
    from outreach.config import write_atomic
    from outreach.hub.summary_pages import summary_page

    data = summary_page(open_hub(args), args.device, 0, None)
    try:
        write_atomic(Path(args.out), data)
    except OSError as exc:
        raise HubCommandError(f"cannot write {args.out}: {exc}") from None
    _out({"file": args.out, "bytes": len(data)})
    return 0


def cmd_counts(args: argparse.Namespace) -> int:
    hub = open_hub(args)
    try:
        start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    except ValueError as exc:
        raise HubCommandError(f"bad date: {exc}") from None
    rows = hub.counts([f for f in args.by.split(",") if f], start, end, args.type)
    if args.format == "csv":
        writer = csv.writer(sys.stdout)
        if rows:
            writer.writerow(rows[0].keys())
        writer.writerows(row.values() for row in rows)
    else:
        _out(rows)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outreach-hub", description="Outreach reference hub")
    parser.add_argument("--home", help=f"keys and default database (or ${HOME_ENV})")
    parser.add_argument("--db", help=f"sqlite:///FILE or postgresql://user@host/db (or ${DB_ENV})")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("init", help="make hub keys and the database").set_defaults(func=cmd_init)
    _add_serve(sub)
    _add_enrol(sub)
    revoke = sub.add_parser("revoke", help="refuse a device; it wipes itself at next contact")
    revoke.add_argument("device")
    revoke.set_defaults(func=cmd_revoke)
    sub.add_parser("devices", help="list enrolled devices").set_defaults(func=cmd_devices)
    sub.add_parser("audit", help="coordinator actions, newest first").set_defaults(func=cmd_audit)
    imp = sub.add_parser("import", help="ingest batch files carried by USB")
    imp.add_argument("files", nargs="+")
    imp.set_defaults(func=cmd_import)
    ref = sub.add_parser(
        "reference",
        help="set reference data (code lists, products) from JSON; seen by a running hub, and "
        "quarantined records that now pass are stored and counted",
    )
    ref.add_argument("file")
    ref.set_defaults(func=cmd_reference)
    recheck = sub.add_parser(
        "recheck", help="check quarantined records again; store and count those that now pass"
    )
    recheck.set_defaults(func=cmd_recheck)
    summaries = sub.add_parser(
        "summaries-export", help="write a device's client summaries to a signed file (USB)"
    )
    summaries.add_argument("--device", required=True, help="the device id it is for")
    summaries.add_argument("--out", required=True, help="the file to write")
    summaries.set_defaults(func=cmd_summaries_export)
    counts = sub.add_parser("counts", help="count active records")
    counts.add_argument("--from", dest="start", required=True)
    counts.add_argument("--to", dest="end", required=True)
    counts.add_argument("--by", default="")
    counts.add_argument("--type")
    counts.add_argument("--format", choices=("json", "csv"), default="json")
    counts.set_defaults(func=cmd_counts)
    return parser


Commands = argparse._SubParsersAction


def _add_serve(sub: Commands) -> None:
    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--rate", type=float, default=50.0, help="requests/s per device")
    serve.add_argument("--workers", type=int, default=1, help="processes (uses more cores)")
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_SECONDS,
        help="seconds a client has to send a request's headers",
    )
    serve.add_argument(
        "--admin-remote",
        action="store_true",
        help="accept the admin token from other machines (default: this server only)",
    )
    serve.add_argument("--tls-cert")
    serve.add_argument("--tls-key")
    serve.set_defaults(func=cmd_serve)


def _add_enrol(sub: Commands) -> None:
    enrol = sub.add_parser("enrol", help="make a one-time enrolment code (text + QR PNG)")
    enrol.add_argument("--url", required=True, help="the hub URL devices will use")
    enrol.add_argument("--label", default="", help="a name for the device, e.g. 'van 2'")
    enrol.add_argument("--days", type=int, default=7)
    enrol.add_argument("--qr", default="enrolment-code.png", help="where to write the QR image")
    enrol.add_argument("--tls-cert", help="pin this certificate (PEM) in the code")
    enrol.add_argument(
        "--role",
        choices=ROLES,
        default="worker",
        help="the device's hub role (coordinator: service-wide counts), signed into the code",
    )
    enrol.set_defaults(func=cmd_enrol)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except InvalidRecord as exc:
        sys.stderr.write(f"outreach-hub: {exc}\n")
    except OutreachError as exc:
        sys.stderr.write(f"outreach-hub: error: {exc}\n")
    except KeyboardInterrupt:
        return 130
    return 1
