"""asyncio connections to a PostgreSQL hub, for storing uploaded batches on the event loop.

Storing a batch on PostgreSQL is mostly waiting for the server. In a thread per batch in
flight, the hand-offs between threads (and their turns at the GIL) cost the hub ~1 ms of CPU
a batch, a quarter of its own work; awaited on the event loop they cost nothing. The rest of
the hub (counts, enrolment, the `import` command) keeps the SQLAlchemy engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg_pool import AsyncConnectionPool

from outreach.hub.db import IDLE_PING_SECONDS

POOL_SIZE = 10


class AsyncPool:
    """A pool opened on first use, inside the running event loop (psycopg's needs one);
    a connection idle for a while is pinged before use, as the engine's are (`db.py`)."""

    def __init__(self, engine: sa.Engine, size: int = POOL_SIZE) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._size = size
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening = asyncio.Lock()
        self._idle_since: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        if self._loop is not asyncio.get_running_loop():  # served again, on another loop
            self._pool, self._loop, self._opening = None, asyncio.get_running_loop(), asyncio.Lock()
        pool = self._pool or await self._open()
        async with pool.connection() as conn:
            yield conn

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _open(self) -> AsyncConnectionPool[psycopg.AsyncConnection[Any]]:
        async with self._opening:
            if self._pool is None:
                pool = AsyncConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._size,
                    open=False,
                    check=self._ping_when_idle,
                    reset=self._now_idle,
                )
                await pool.open()
                self._pool = pool
            return self._pool

    async def _now_idle(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._idle_since[conn] = time.monotonic()

    async def _ping_when_idle(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Raising makes the pool drop the connection and hand out another."""
        since = self._idle_since.get(conn)
        if since is not None and time.monotonic() - since >= IDLE_PING_SECONDS:
            await conn.execute("")
