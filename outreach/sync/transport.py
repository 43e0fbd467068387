"""HTTP to the hub: one httpx client per sync, TLS pinned to the enrolment certificate, retries with
exponential backoff and full jitter, and hub answers mapped to `SyncError` kinds."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import random
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable

import httpx
import msgspec

from outreach.errors import SyncError, SyncErrorKind
from outreach.sync.protocol import ErrorBody

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    initial: float = 0.5
    maximum: float = 30.0
    timeout: float = 30.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.maximum, self.initial * 2**attempt))  # noqa: S311


DEFAULT_POLICY = RetryPolicy()


class Revoked(SyncError):
    """The hub revoked this device, proven by a revocation the device verified; it is wiped."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind=SyncErrorKind.REVOKED)


class RouteMissing(SyncError):
    """The hub answered 404: it does not offer this route (an older hub)."""


class RevocationClaim(SyncError):
    """An answer saying "revoked", not yet verified: until `revocation.verify` accepts it, it is
    only an AUTH error and wipes nothing (anyone on the path can send these words)."""

    def __init__(self, body: bytes) -> None:
        super().__init__("the hub says this device has been revoked", kind=SyncErrorKind.AUTH)
        self.body = body


def is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Plain HTTP only to this machine: anywhere else, reference data must travel inside TLS."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(f"not a hub URL: {url}", kind=SyncErrorKind.PROTOCOL)
    if parts.scheme == "http" and not is_loopback(url):
        raise SyncError("the hub must be reached over https", kind=SyncErrorKind.PROTOCOL)


def pinned_context(cert_pem: str) -> ssl.SSLContext:
    """Trust exactly the certificate pinned at enrolment (self-signed or not), nothing else."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.load_verify_locations(cadata=cert_pem)
    return context


# Headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm and the hub's
# delayed ACK stall every upload by ~40 ms.
SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def make_client(url: str, cert_pem: str | None, policy: RetryPolicy) -> httpx.Client:
    verify: ssl.SSLContext | bool = pinned_context(cert_pem) if cert_pem else True
    transport = httpx.HTTPTransport(verify=verify, socket_options=SOCKET_OPTIONS)
    return httpx.Client(base_url=url, transport=transport, timeout=policy.timeout)


def _error(response: httpx.Response) -> ErrorBody:
    try:
        return msgspec.json.decode(response.content, type=ErrorBody)
    except msgspec.DecodeError:
        return ErrorBody("http_" + str(response.status_code), response.text[:200])


def request(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    policy: RetryPolicy,
    cancel: threading.Event | None = None,
    content: bytes | None = None,
    headers: Callable[[], dict[str, str]] | None = None,
) -> httpx.Response:
    """One request with retries on network failures, 5xx and 429; other answers become errors."""
    last = "no attempt"
    for attempt in range(policy.attempts):
        if cancel is not None and cancel.is_set():
            raise SyncError("sync cancelled", kind=SyncErrorKind.NETWORK)
        try:
            response = client.request(
                method, path, content=content, headers=headers() if headers else None
            )
        except httpx.TransportError as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code < 300:
                return response
            if response.status_code < 500 and response.status_code != 429:
                _raise_for(response)
            last = f"hub answered {response.status_code}"
            retry_after = response.headers.get("retry-after", "")
            if response.status_code == 429 and retry_after.isdigit():
                _sleep(min(float(retry_after), policy.maximum), cancel)
                continue
        log.info("sync request failed (%s), attempt %d", last, attempt + 1)
        if attempt + 1 < policy.attempts:
            _sleep(policy.delay(attempt), cancel)
    raise SyncError(f"the hub cannot be reached ({last})", kind=SyncErrorKind.NETWORK)


def _sleep(seconds: float, cancel: threading.Event | None) -> None:
    if cancel is None:
        threading.Event().wait(seconds)
    elif cancel.wait(seconds):
        raise SyncError("sync cancelled", kind=SyncErrorKind.NETWORK)


def _raise_for(response: httpx.Response) -> None:
    body = _error(response)
    message = body.detail or body.error
    if body.error == "revoked":
        raise RevocationClaim(response.content)
    if response.status_code == 409:
        raise SyncError(f"the hub refused a batch: {message}", kind=SyncErrorKind.CONFLICT)
    if response.status_code in (401, 403):
        raise SyncError(f"the hub refused this device: {message}", kind=SyncErrorKind.AUTH)
    if response.status_code == 404:
        raise RouteMissing(f"the hub does not offer this: {message}", kind=SyncErrorKind.PROTOCOL)
    raise SyncError(f"the hub refused the request: {message}", kind=SyncErrorKind.PROTOCOL)
