"""The hub's HTTP API (FastAPI). Bodies are read with a hard size cap before anything else runs;
all the work happens in `Hub`: a small batch on the event loop (`INLINE_BYTES`), the rest on the
thread pool."""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread
import msgspec
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from outreach import __version__
from outreach.hub import db, limits, summary_pages
from outreach.hub.errors import (
    DeviceRevoked,
    HubError,
    RateLimited,
    TooLarge,
    TooSlow,
    Unauthorised,
)
from outreach.hub.ratelimit import RateLimiter
from outreach.hub.service import Hub
from outreach.hub.write_lock import WriterBusy
from outreach.sync import envelope as env
from outreach.sync import protocol as proto

log = logging.getLogger(__name__)
# A batch this small is checked on the event loop itself (~3 ms of checks for 100 records):
# handing it to a thread cost ~1-2 ms more CPU a batch in GIL hand-offs (SQLite: measured
# 6.2 → 4.2 ms a batch, 160 → 215 batches/s with 8 devices). Its work is bounded: at most
# INLINE_RECORDS records decompressing to at most INLINE_PLAINTEXT bytes (else it goes to a
# thread). On SQLite it is stored there too if the writer is free at once, never waiting for
# it; on PostgreSQL storing awaits the server (`Hub.store_async`). Anything larger is checked
# and stored in a thread, so the loop keeps answering (`/v1/health`) meanwhile.
INLINE_BYTES = 256 * 1024
INLINE_RECORDS = 200
INLINE_PLAINTEXT = 512 * 1024
JSON = "application/json"
MSGPACK = "application/x-msgpack"
# X-Outreach-Time: ASCII digits only (str.isdigit takes "²" and "٣", int() refuses 5,000 digits).
_STAMP = re.compile(r"-?[0-9]{1,19}", re.ASCII)
_LENGTH = re.compile(r"[0-9]{1,15}", re.ASCII)
_SIGNED_HEADERS = [  # documented, so that the API fuzzing sends them too
    {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
    for name in (proto.DEVICE_HEADER, proto.TIME_HEADER, proto.SIGNATURE_HEADER)
]

_MODELS: list[Any] = [
    proto.EnrolRequest,
    proto.EnrolResponse,
    proto.SignedReceipt,
    proto.Reference,
    proto.ErrorBody,
]
_SCHEMAS, _COMPONENTS = msgspec.json.schema_components(
    _MODELS, ref_template="#/components/schemas/{name}"
)
_SCHEMA = dict(zip([m.__name__ for m in _MODELS], _SCHEMAS, strict=True))


def _content(name: str, media: str = JSON) -> dict[str, Any]:
    return {"content": {media: {"schema": _SCHEMA[name]}}}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": "error", **_content("ErrorBody")} for status in statuses}


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type=JSON)


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refused beyond `limit` bytes or if it falls behind its schedule: a grace
    period plus what has arrived at a minimum rate (a byte-a-second sender is cut off after
    the grace period, an honest one on a slow link never)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not _LENGTH.fullmatch(declared) or int(declared) > limit):
        raise TooLarge(f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    start, stream = anyio.current_time(), request.stream()
    while True:
        due = start + limits.BODY_GRACE_SECONDS + size / limits.BODY_MIN_RATE
        chunk: bytes | None = None
        with anyio.move_on_after(due - anyio.current_time()):
            chunk = await anext(stream, b"")
        if chunk is None:
            raise TooSlow("the request body arrived too slowly")
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body larger than {limit} bytes")
        chunks.append(chunk)


def create_app(
    hub: Hub, *, rate: float = 50.0, burst: float = 200.0, admin_remote: bool = False
) -> FastAPI:
    """The ASGI app for `hub`; `rate` is requests per second allowed per device (0 = no limit);
    `admin_remote` accepts the admin token from other machines (off: the server itself only).

    Long because FastAPI's routes are declared here as closures over `hub` and the limiter, one
    short handler each; splitting them into routers would add a module per two routes."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await hub.close_async()

    app = FastAPI(
        title="Outreach hub", version=__version__, openapi_url="/openapi.json", lifespan=lifespan
    )
    limiter = app.state.limiter = RateLimiter(rate, burst, limits.LIMITER_ENTRIES)
    sqlite = db.is_sqlite(hub.engine)
    # Global caps for this process: bodies being received, batches being checked or stored.
    reading = anyio.CapacityLimiter(limits.UPLOADS_READING)
    ingesting = anyio.CapacityLimiter(limits.INGEST_CONCURRENCY[hub.engine.dialect.name])

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> Response:
        if isinstance(exc, DeviceRevoked):
            body = await run_in_threadpool(hub.revoked_answer, exc.device_id, exc.message)
            return _json(body, exc.status)
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = exc.message.rsplit(" ", 1)[-1]
        return Response(
            msgspec.json.encode(proto.ErrorBody(exc.code, exc.message)),
            status_code=exc.status,
            media_type=JSON,
            headers=headers,
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _exc: ClientDisconnect) -> Response:
        log.info("client went away mid-request")
        return Response(status_code=400)

    def _limit(device_id: str) -> None:
        wait = limiter.allow(device_id)
        if wait:
            raise RateLimited(f"too many requests; retry after {math.ceil(wait)}")

    @app.get("/v1/health")
    def health() -> dict[str, str | float]:
        """Liveness, the hub's key fingerprint and its clock (devices sign requests with it)."""
        return {
            "status": "ok",
            "hub": hub.keys.fingerprint,
            "version": __version__,
            "time": time.time(),
        }

    @app.post(
        "/v1/enrol",
        openapi_extra={"requestBody": {"required": True, **_content("EnrolRequest")}},
        responses={200: _content("EnrolResponse"), **_errors(400, 403, 408, 413)},
        response_class=Response,
    )
    async def enrol(request: Request) -> Response:
        """Enrol a device with a one-time token: returns the hub keys and reference data."""
        body = await _read_capped(request, limits.MAX_JSON_BYTES)
        try:
            message = msgspec.json.decode(body, type=proto.EnrolRequest)
        except msgspec.DecodeError as exc:
            raise HubError(f"malformed enrolment request: {exc}") from None
        _limit("enrol")
        return _json(await run_in_threadpool(hub.enrol, message))

    @app.post(
        "/v1/batches",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        },
        responses={
            200: _content("SignedReceipt"),
            **_errors(400, 403, 408, 409, 413, 422, 429),
        },
        response_class=Response,
    )
    async def upload(request: Request) -> Response:
        """Upload one sealed batch (see docs/sync-protocol.md); answers with a signed receipt."""
        async with reading:
            body = await _read_capped(request, limits.MAX_BATCH_BYTES)
        header = await hub.verified_header(body)  # an enrolled device, its signature good
        _limit(header.device_id)  # so only real devices get a bucket
        async with ingesting:
            return Response(await _ingest(body, header), media_type=JSON)

    async def _ingest(body: bytes, header: env.Header) -> bytes:
        """Check and store on the loop what is small and would not wait; the rest in a thread."""
        batch = None
        if len(body) <= INLINE_BYTES and header.count <= INLINE_RECORDS:
            with contextlib.suppress(env.PayloadTooLarge):
                batch = hub.check(body, "https", INLINE_PLAINTEXT, header)
        if batch is None:
            if sqlite:
                return await anyio.to_thread.run_sync(hub.ingest, body, "https")
            batch = await anyio.to_thread.run_sync(hub.check, body, "https")
        if not sqlite:
            return await hub.store_async(batch)
        try:
            return hub.store(batch, wait=False)
        except WriterBusy:
            return await anyio.to_thread.run_sync(hub.store, batch)

    @app.get(
        "/v1/reference",
        openapi_extra={"parameters": _SIGNED_HEADERS},
        responses={200: _content("Reference"), **_errors(400, 401, 403, 429)},
        response_class=Response,
    )
    def reference(request: Request) -> Response:
        """Reference data, service key and retention for an enrolled device (signed request)."""
        device_id = _verify_device(request, "GET", "/v1/reference")
        _limit(device_id)
        return _json(hub.reference())

    @app.get(
        "/v1/summaries",
        openapi_extra={"parameters": _SIGNED_HEADERS},
        responses={
            200: {"content": {MSGPACK: {"schema": {"type": "string"}}}},
            **_errors(400, 401, 403, 429),
        },
        response_class=Response,
    )
    def client_summaries(request: Request, after: int = 0, limit: int = 0) -> Response:
        """Client summary changes after a cursor, a hub-signed page (signed request; the
        query string is part of what the device signs). See docs/sync-protocol.md."""
        query = f"?{request.url.query}" if request.url.query else ""
        device_id = _verify_device(request, "GET", "/v1/summaries" + query)
        _limit(device_id)
        page = summary_pages.summary_page(hub, device_id, after, limit or limits.SUMMARY_PAGE_MAX)
        return Response(page, media_type=MSGPACK)

    def _verify_device(request: Request, method: str, path: str) -> str:
        device_id = request.headers.get(proto.DEVICE_HEADER, "")
        stamp = request.headers.get(proto.TIME_HEADER, "")
        signature = request.headers.get(proto.SIGNATURE_HEADER, "")
        if not (device_id and signature):
            raise Unauthorised("missing device signature headers")
        if not _STAMP.fullmatch(stamp):
            raise HubError(f"{proto.TIME_HEADER} must be whole seconds since 1970 (ASCII digits)")
        key = hub.device_key(device_id)
        if abs(time.time() - int(stamp)) > proto.CLOCK_SKEW_SECONDS:
            raise Unauthorised("clock: the device clock is too far from the hub's")
        try:
            key.verify(
                proto.b64d(signature), proto.request_message(method, path, device_id, int(stamp))
            )
        except Exception:  # noqa: BLE001 - any failure to verify is the same refusal
            raise Unauthorised("the device signature does not verify") from None
        return device_id

    from outreach.hub import coordinator  # imports this module's Hub: here, not at the top

    coordinator.add_routes(app, hub, _verify_device, _limit, admin_remote=admin_remote)
    _add_components(app)
    return app


def app_from_env() -> FastAPI:
    """App factory for `outreach-hub serve --workers N` (each worker process builds its own)."""
    import os
    from pathlib import Path

    from outreach.hub.keys import load_keys

    hub = Hub(
        db.make_engine(os.environ["OUTREACH_HUB_DB"]),
        load_keys(Path(os.environ["OUTREACH_HUB_HOME"])),
    )
    rate = float(os.environ.get("OUTREACH_HUB_RATE", "50"))
    remote = os.environ.get("OUTREACH_HUB_ADMIN_REMOTE") == "1"
    return create_app(hub, rate=rate, burst=max(rate * 4, 1), admin_remote=remote)


def _add_components(app: FastAPI) -> None:
    """Put the msgspec schemas where the `$ref`s of the routes point."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(_COMPONENTS)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
