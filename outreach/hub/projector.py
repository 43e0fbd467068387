"""Background projection: receipts go out as soon as records are stored; the facts tables catch
up on this thread (and counts always catch up first, so nobody sees them behind)."""

from __future__ import annotations

import logging
import threading

from outreach.hub.service import Hub

log = logging.getLogger(__name__)


class Projector:
    def __init__(self, hub: Hub, idle_seconds: float = 1.0) -> None:
        self.hub = hub
        self.idle_seconds = idle_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hub-projector", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.hub.stored.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.hub.stored.wait(self.idle_seconds)
            self.hub.stored.clear()
            try:
                self.hub.project_pending()
            except Exception:  # noqa: BLE001 - keep projecting; counts retry anyway
                log.exception("projecting stored records failed; will retry")
