"""Coordinator access to the hub: devices enrolled with the coordinator role, and the admin token
kept for `outreach-hub` on the server itself (issue 13, docs/security.md).

A coordinator endpoint takes a signed request from an enrolled, unrevoked device whose role (set
by the operator in its enrolment code) is `coordinator`; any other role gets 403. The admin
token opens them too, only when it is set (an empty or missing token opens nothing), only from a
loopback address and not through a proxy, unless the operator serves with `--admin-remote`.
Every coordinator request is written to `coordinator_audit` (who, when, what).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from outreach.errors import InvalidRecord
from outreach.hub import db, device_admin, limits
from outreach.hub.errors import Forbidden, HubError, Unauthorised
from outreach.hub.ingest import now as _now
from outreach.hub.service import Hub
from outreach.hub.service_counts import service_counts
from outreach.reports.disclosure import Rule
from outreach.reports.periods import parse_period

COORDINATOR = "coordinator"
ADMIN = "admin-token@server"  # who the audit names for the admin token
# Headers a reverse proxy adds: a request carrying one did not start on this machine.
_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
VerifyDevice = Callable[[Request, str, str], str]


def admin_token_matches(expected: str, supplied: str) -> bool:
    """Only a set token, compared in constant time: an empty or missing one never matches."""
    if not expected or not supplied:
        return False
    return hmac.compare_digest(supplied.encode(), expected.encode())


def is_local(request: Request) -> bool:
    """From a loopback address, with no proxy's forwarding headers."""
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    return loopback and not any(name in request.headers for name in _PROXY_HEADERS)


def device_role(hub: Hub, device_id: str) -> str:
    with hub.engine.connect() as conn:
        rows = hub.sql.rows(conn, "SELECT role FROM devices WHERE device_id = ?", (device_id,))
    return str(rows[0][0]) if rows else ""


def audit(hub: Hub, who: str, action: str, detail: str) -> None:
    with hub.engine.begin() as conn:
        conn.execute(
            sa.insert(db.coordinator_audit).values(
                at=_now(), device_id=who, action=action, detail=detail[:500]
            )
        )


def audit_log(hub: Hub, limit: int = 200) -> list[dict[str, Any]]:
    """The newest coordinator actions first."""
    table = db.coordinator_audit
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.entry.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]


def disclosure_rule(hub: Hub) -> Rule:
    """The deployment's rule from reference data (NHS Digital's unless set)."""
    rule = hub.reference().disclosure
    return Rule(rule.suppress_at_most, rule.round_to)


def add_routes(
    app: FastAPI,
    hub: Hub,
    verify: VerifyDevice,
    limit: Callable[[str], None],
    *,
    admin_remote: bool = False,
) -> None:
    """The coordinator endpoints on `app` (`verify` checks a device's signed request).

    Long because FastAPI's routes are closures over `hub` and the caller check, as in
    `app.create_app`: one short handler each."""

    def coordinator(request: Request) -> str:
        """Who is asking: a coordinator device, or the admin token on the server; else 401/403."""
        supplied = request.headers.get("authorization", "")
        if supplied:
            token = supplied.removeprefix("Bearer ").strip()
            if not admin_token_matches(hub.keys.admin_token, token):
                raise Unauthorised("coordinator token required")
            if not (admin_remote or is_local(request)):
                raise Forbidden("the admin token is accepted only on the hub server itself")
            return ADMIN
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        device_id = verify(request, request.method, path)
        limit(device_id)
        if device_role(hub, device_id) != COORDINATOR:
            raise Forbidden("this needs a device enrolled with the coordinator role")
        return device_id

    @app.get("/v1/counts", responses={401: {}, 403: {}})
    async def counts(
        request: Request, by: str = "", start: str = "", end: str = "", type: str = ""
    ) -> Response:
        """Exact counts of active records (a coordinator device's signed request over the path
        and query, or the admin token on the server)."""
        who = await run_in_threadpool(coordinator, request)
        try:
            first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
            fields = [field for field in by.split(",") if field]
            rows = await run_in_threadpool(hub.counts, fields, first, last, type or None)
        except ValueError as exc:
            raise HubError(f"bad dates: {exc}") from None
        except InvalidRecord as exc:
            raise HubError(str(exc)) from None
        await run_in_threadpool(audit, hub, who, "counts", str(request.url.query))
        return _json({"rows": rows})

    @app.get("/v1/service/commissioner", responses={400: {}, 401: {}, 403: {}})
    async def commissioner(
        request: Request, period: str = "", site: str = "", area: str = "", exact: str = ""
    ) -> Response:
        """The service-wide commissioner set for `period` (2026-01, FY2026-27, FY2026-27 Q1 or
        2026-01-01..2026-03-31), published under the deployment's disclosure rule unless
        `exact=1` (then marked "exact (not for publication)")."""
        who = await run_in_threadpool(coordinator, request)
        try:
            start, end, _ = parse_period(period)
        except ValueError as exc:
            raise HubError(str(exc)) from None
        if (end - start).days >= limits.MAX_REPORT_DAYS:
            raise HubError(f"a period is at most {limits.MAX_REPORT_DAYS} days")
        counts = await run_in_threadpool(
            service_counts,
            hub.engine,
            start,
            end,
            site or None,
            area or None,
            hub.reference().follow_up,
        )
        if exact != "1":
            counts = counts.for_publication(await run_in_threadpool(disclosure_rule, hub))
        detail = f"period={period} site={site} area={area} {counts.status}"
        await run_in_threadpool(audit, hub, who, "commissioner", detail)
        return _json(counts.as_wire())

    device_admin.add_routes(app, hub, coordinator, audit)


def _json(data: Any) -> Response:
    return Response(msgspec.json.encode(data), media_type="application/json")
