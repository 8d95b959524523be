"""A token bucket per caller (API token or session user), kept in this process's memory.

Per process: with several web workers each keeps its own buckets, so the effective limit
is the configured one times the number of workers. That is enough to stop a runaway
client; a shared limit would need a shared store.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """`per_minute` requests a minute per key, with bursts up to `per_minute`; 0 turns it off."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self.per_minute, self._clock, self._max_keys = per_minute, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one request of `key`: 0.0 if allowed, else the seconds until the next one is."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            if key not in self._buckets and len(self._buckets) >= self._max_keys:
                self._forget_full(now, rate)
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0

    def _forget_full(self, now: float, rate: float) -> None:
        """Drop buckets that have refilled completely (they hold nothing a new bucket would not)."""
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * rate >= self.per_minute:
                del self._buckets[key]

    @staticmethod
    def retry_after(wait: float) -> str:
        """The Retry-After header value for `wait` seconds (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))
