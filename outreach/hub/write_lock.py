"""One SQLite writer at a time, across threads and across `serve --workers N` processes.

SQLite lets one connection write; another that tries waits in SQLite's busy handler, which
sleeps 1, 2, 5, 10 ms and longer between attempts. Two hub processes then spend their time
asleep. A lock file held with `flock` hands the turn over as soon as it is released.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: one process at a time is what a SQLite hub there supports
    fcntl = None  # type: ignore[assignment]


class WriterBusy(Exception):
    """Another batch holds the writer (`WriteLock.held_now`)."""


class WriteLock:
    def __init__(self, database: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = Path(f"{database}.write-lock") if database and database != ":memory:" else None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._path is None or fcntl is None:
                yield
                return
            with self._path.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def held_now(self) -> Iterator[None]:
        """`held`, or `WriterBusy` at once if another thread or process holds it."""
        if not self._thread_lock.acquire(blocking=False):
            raise WriterBusy
        try:
            if self._path is None or fcntl is None:
                yield
                return
            with self._path.open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise WriterBusy from None
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()
