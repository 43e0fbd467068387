"""Per-device token buckets: one misbehaving device cannot starve the others.

Buckets are kept for at most `entries` keys, the least recently used dropped first (a dropped
key starts again with a full bucket). The app makes a bucket only for an enrolled device whose
signature it has checked, so made-up device ids cannot grow this table.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, rate: float, burst: float, entries: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.entries = entries
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, key: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if len(self._buckets) >= self.entries:
                self._buckets.popitem(last=False)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
