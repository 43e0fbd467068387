"""uvicorn's HTTP protocol with a deadline and a size cap for request headers (slow-loris).

uvicorn times out an idle keep-alive connection, but not one that sends its request line and
headers a byte at a time: each such connection would be held open for ever. Here the headers
must be complete within `HEADER_SECONDS` of the connection (or of the last answer on it) and
within `MAX_HEADER_BYTES`, or the connection is closed. The body has its own deadline, in the
app (`app._read_capped`).
"""

from __future__ import annotations

import asyncio
import logging
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from outreach.hub.limits import HEADER_SECONDS, MAX_HEADER_BYTES

log = logging.getLogger(__name__)
HEADER_ENV = "OUTREACH_HUB_HEADER_SECONDS"  # `serve --header-timeout`, for every worker


class GuardedHttp(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.header_seconds = float(os.environ.get(HEADER_ENV, HEADER_SECONDS))
        self._header_bytes = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_bytes = 0
        self._header_timer = self.loop.call_later(self.header_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            log.info("closed a connection whose request headers took too long")
            self.transport.close()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
            log.info("closed a connection whose request headers were too large")
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        self._header_bytes = 0
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
