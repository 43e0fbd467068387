"""The coordinator's Devices page on the hub (issue 13 item 5): the device list with what the hub
knows of each, enrolment codes made for a chosen role, and revocation with a reason code.

Routes added by `coordinator.add_routes`, behind the same check (a signed request from a device
enrolled with the coordinator role, or the admin token on the server); every request is written to
`coordinator_audit`. Parameters travel in the query string, which the device's signature covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from outreach.domain.roles import ROLES
from outreach.hub import db, enrolment, limits
from outreach.hub.errors import HubError
from outreach.hub.ingest import now as _now
from outreach.hub.service import Hub

# Why a device is revoked: a code, never free text about people.
REVOKE_REASONS = ("lost", "stolen", "replaced", "left_service", "compromised", "other")
_TLS = re.compile(r"[0-9a-f]{64}", re.ASCII)
_URL = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]{1,255}(/[A-Za-z0-9._~\-/]*)?", re.ASCII)


def device_rows(hub: Hub) -> list[dict[str, Any]]:
    """Every device with what the hub knows: label, role, enrolled, revoked (when, why), the last
    acknowledged seq, last seen (its last batch received, or its last coordinator request) and its
    records in quarantine. Users
    on a device and records still waiting there are not reported to the hub (None)."""
    devices, batches, quarantine, audit = (
        db.devices,
        db.batches,
        db.quarantine,
        db.coordinator_audit,
    )
    last_seen = (
        sa.select(sa.func.max(batches.c.received_at))
        .where(batches.c.device_id == devices.c.device_id)
        .scalar_subquery()
    )
    quarantined = (
        sa.select(sa.func.count())
        .select_from(quarantine)
        .where(quarantine.c.device_id == devices.c.device_id)
        .scalar_subquery()
    )
    query = sa.select(
        devices.c.device_id,
        devices.c.label,
        devices.c.role,
        devices.c.enrolled_at,
        devices.c.revoked_at,
        devices.c.acked_through,
        last_seen.label("last_seen"),
        quarantined.label("quarantined"),
    ).order_by(devices.c.enrolled_at, devices.c.device_id)
    reasons = sa.select(audit.c.detail).where(audit.c.action == "revoke")
    asked = sa.select(audit.c.device_id, sa.func.max(audit.c.at)).group_by(audit.c.device_id)
    with hub.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
        why = _revoke_reasons(str(detail) for (detail,) in conn.execute(reasons))
        last_asked = {str(device): str(at) for device, at in conn.execute(asked)}
    for row in rows:  # a coordinator's own requests count as seen too (same ISO text: sorts)
        seen = [at for at in (row["last_seen"], last_asked.get(row["device_id"])) if at]
        row["last_seen"] = max(seen) if seen else None
        row["revoke_reason"] = why.get(row["device_id"]) if row["revoked_at"] else None
        row["users"] = row["waiting"] = None
    return rows


def _revoke_reasons(details: Any) -> dict[str, str]:
    """device id → reason code, from the audit's `revoke` entries ("device=… reason=…")."""
    found: dict[str, str] = {}
    for detail in details:
        parts = dict(part.split("=", 1) for part in detail.split() if "=" in part)
        if "device" in parts and "reason" in parts:
            found[parts["device"]] = parts["reason"]
    return found


def quarantine_groups(hub: Hub) -> list[dict[str, Any]]:
    """Records in quarantine by device and reason (the hub's validation error), most first, at
    most `limits.QUARANTINE_GROUPS_MAX` groups (the bodies are never sent)."""
    quarantine, devices = db.quarantine, db.devices
    count = sa.func.count().label("records")
    query = (
        sa.select(quarantine.c.device_id, devices.c.label, quarantine.c.error, count)
        .join(devices, devices.c.device_id == quarantine.c.device_id)
        .group_by(quarantine.c.device_id, devices.c.label, quarantine.c.error)
        .order_by(count.desc(), quarantine.c.device_id, quarantine.c.error)
        .limit(limits.QUARANTINE_GROUPS_MAX)
    )
    with hub.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def check_code_request(role: str, label: str, days: int, url: str, tls: str) -> None:
    """Refuse a request for a code the hub will not make, saying why (HubError: 400)."""
    if role not in ROLES:
        raise HubError(f"unknown role '{role}' (one of: {', '.join(ROLES)})")
    if len(label) > limits.DEVICE_LABEL_MAX or not label.isprintable():
        raise HubError(f"a device label is at most {limits.DEVICE_LABEL_MAX} printable characters")
    if not 1 <= days <= limits.ENROLMENT_CODE_MAX_DAYS:
        raise HubError(f"a code is valid for 1 to {limits.ENROLMENT_CODE_MAX_DAYS} days")
    if not _URL.fullmatch(url):
        raise HubError("the hub URL for the code must be http(s)://host[:port][/path]")
    if tls and not _TLS.fullmatch(tls):
        raise HubError("tls must be the certificate's sha256 in 64 lower-case hex digits")


def open_codes(hub: Hub) -> int:
    """Enrolment codes not used and not expired."""
    tokens = db.enrol_tokens
    query = (
        sa.select(sa.func.count())
        .select_from(tokens)
        .where(tokens.c.device_id.is_(None), tokens.c.expires_at >= _now())
    )
    with hub.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def make_code(hub: Hub, role: str, label: str, days: int, url: str, tls: str) -> dict[str, Any]:
    """A one-time code signed by the hub for `url` (the address the coordinator's device uses),
    pinning `tls` if given, else the hub's own TLS fingerprint when it knows it."""
    check_code_request(role, label, days, url, tls)
    if open_codes(hub) >= limits.OPEN_ENROLMENT_CODES_MAX:
        raise HubError(
            f"{limits.OPEN_ENROLMENT_CODES_MAX} enrolment codes are already waiting to be used:"
            " use or let some expire first"
        )
    code = enrolment.new_code(
        hub.engine, hub.keys, url, tls or hub.tls_fingerprint, label, days, role
    )
    return {"code": code.text(), "role": role, "label": label, "days": days}


def revoke(hub: Hub, who: str, device_id: str, reason: str) -> None:
    """Revoke `device_id` (not the asking device itself); it wipes itself at next contact."""
    if reason not in REVOKE_REASONS:
        raise HubError(f"unknown reason '{reason}' (one of: {', '.join(REVOKE_REASONS)})")
    if device_id == who:
        raise HubError("a coordinator device cannot revoke itself: ask another coordinator")
    with hub.engine.connect() as conn:
        known = conn.execute(
            sa.select(db.devices.c.revoked_at).where(db.devices.c.device_id == device_id)
        ).first()
    if known is None:
        raise HubError(f"no device {device_id}")
    if known.revoked_at is not None:
        raise HubError(f"device {device_id} is already revoked")
    hub.revoke(device_id)


def add_routes(
    app: FastAPI,
    hub: Hub,
    caller: Callable[[Request], str],
    audit: Callable[[Hub, str, str, str], None],
) -> None:
    """The Devices page's endpoints on `app`; `caller` is the coordinator check."""

    @app.get("/v1/service/devices", responses={401: {}, 403: {}})
    async def devices(request: Request) -> Response:
        """Enrolled devices: label, role, enrolled, revoked (when, reason), last acknowledged
        seq, last batch received, records quarantined."""
        who = await run_in_threadpool(caller, request)
        rows = await run_in_threadpool(device_rows, hub)
        await run_in_threadpool(audit, hub, who, "devices", f"{len(rows)} devices")
        return _json({"devices": rows})

    @app.get("/v1/service/quarantine", responses={401: {}, 403: {}})
    async def quarantine(request: Request) -> Response:
        """Records in quarantine by device and reason: device_id, label, error, records."""
        who = await run_in_threadpool(caller, request)
        groups = await run_in_threadpool(quarantine_groups, hub)
        await run_in_threadpool(audit, hub, who, "quarantine", f"{len(groups)} groups")
        return _json({"groups": groups})

    @app.post("/v1/service/enrolment-codes", responses={400: {}, 401: {}, 403: {}})
    async def enrolment_code(
        request: Request,
        role: str = "",
        label: str = "",
        days: int = 7,
        url: str = "",
        tls: str = "",
    ) -> Response:
        """A one-time enrolment code for a device of `role`, naming the hub at `url`."""
        who = await run_in_threadpool(caller, request)
        made = await run_in_threadpool(make_code, hub, role, label, days, url, tls)
        detail = f"role={role} days={days} label={label!r}"
        await run_in_threadpool(audit, hub, who, "enrolment-code", detail)
        return _json(made)

    @app.post("/v1/service/devices/{device_id}/revoke", responses={400: {}, 401: {}, 403: {}})
    async def revoke_device(request: Request, device_id: str, reason: str = "") -> Response:
        """Revoke a device with a reason code; it wipes itself at its next contact."""
        who = await run_in_threadpool(caller, request)
        await run_in_threadpool(revoke, hub, who, device_id, reason)
        await run_in_threadpool(audit, hub, who, "revoke", f"device={device_id} reason={reason}")
        return _json({"revoked": device_id, "reason": reason})


def _json(data: Any) -> Response:
    return Response(msgspec.json.encode(data), media_type="application/json")
