"""Enrolment codes and their one-time use by a device (the hub's side of `outreach enrol`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from outreach.domain.roles import ROLES
from outreach.hub import db
from outreach.hub.errors import BadToken, HubError
from outreach.hub.ingest import now as _now
from outreach.hub.keys import HubKeys
from outreach.sync.protocol import EnrolmentCode, EnrolRequest, ProtocolError, b64d, b64e


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code(
    engine: sa.Engine,
    keys: HubKeys,
    url: str,
    tls: str | None,
    label: str,
    days: int,
    role: str = "worker",
) -> EnrolmentCode:
    """A one-time code naming this hub, pinning its keys (and TLS certificate if given), for a
    device of `role` (the operator's choice, kept with the token and signed into the code)."""
    token = new_token(engine, label, days, role)
    code = EnrolmentCode(url.rstrip("/"), token, keys.fingerprint, tls, role)
    signature = b64e(keys.sign.sign(code.signed_bytes()))
    return EnrolmentCode(code.url, token, code.hub, tls, role, signature)


def new_token(engine: sa.Engine, label: str, days: int, role: str = "worker") -> str:
    """A new one-time token for a device of `role`, kept only as its hash, valid for `days`."""
    if role not in ROLES:
        raise HubError(f"unknown role '{role}' (one of: {', '.join(ROLES)})")
    token = secrets.token_urlsafe(18)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(db.enrol_tokens).values(
                token_hash=token_hash(token),
                label=label,
                role=role,
                created_at=now.isoformat(timespec="seconds"),
                expires_at=(now + dt.timedelta(days=days)).isoformat(timespec="seconds"),
            )
        )
    return token


def enrol(engine: sa.Engine, request: EnrolRequest) -> None:
    """Enrol the requesting device with its token; raises HubError or BadToken."""
    try:
        public = b64d(request.device_key)
    except ProtocolError:
        raise HubError("malformed device key or id") from None
    if len(public) != 32 or not request.device_id or len(request.device_id) > 64:
        raise HubError("malformed device key or id")
    if request.role not in ROLES:
        raise HubError(f"unknown role '{request.role}'")
    try:
        with engine.begin() as conn:
            _claim_token(conn, request, public)
    except sa.exc.IntegrityError:  # the same device id enrolled at once with two codes
        raise BadToken("this device is already enrolled") from None


def _claim_token(conn: sa.Connection, request: EnrolRequest, public: bytes) -> None:
    """Use the token for this device in one statement (UPDATE … WHERE unused RETURNING):
    of concurrent enrolments with one token only one can claim it. A device that already
    used it may ask again (its answer was lost) unless it has been revoked since."""
    claimed = conn.execute(
        sa.update(db.enrol_tokens)
        .where(
            db.enrol_tokens.c.token_hash == token_hash(request.token),
            db.enrol_tokens.c.device_id.is_(None),
            db.enrol_tokens.c.expires_at >= _now(),
        )
        .values(device_id=request.device_id)
        .returning(db.enrol_tokens.c.label, db.enrol_tokens.c.role)
    ).first()
    existing = conn.execute(
        sa.select(db.devices).where(db.devices.c.device_id == request.device_id)
    ).first()
    if claimed is not None:
        if existing is not None:
            raise BadToken("this device is already enrolled")  # the claim rolls back
        if request.role != claimed.role:  # the role is the operator's, never the device's
            raise BadToken(
                f"this enrolment code is for a {claimed.role} device, not a {request.role}"
            )
        conn.execute(
            sa.insert(db.devices).values(
                device_id=request.device_id,
                public_key=public,
                label=claimed.label,
                role=claimed.role,
                enrolled_at=_now(),
            )
        )
        return
    token = conn.execute(
        sa.select(db.enrol_tokens).where(db.enrol_tokens.c.token_hash == token_hash(request.token))
    ).first()
    if token is None or token.expires_at < _now():
        raise BadToken("the enrolment code is unknown or has expired")
    if token.device_id != request.device_id:
        raise BadToken("the enrolment code was already used by another device")
    if existing is None or existing.public_key != public:
        raise BadToken("the enrolment code was already used with another key")
    if existing.revoked_at is not None:
        raise BadToken("this device has been revoked: it needs a new enrolment code")
