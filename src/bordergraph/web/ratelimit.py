"""Per-client rate limiting: a token bucket per client address, in memory.

Written by hand (a dozen lines) rather than pulling in a rate-limiting framework for one rule.
"""

from __future__ import annotations

import math
import time


class RateLimiter:
    """Allow ``burst`` queries at once and ``per_minute`` on average, per client address."""

    MAX_CLIENTS = 10_000  # beyond this, forget clients whose bucket is full again

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, client: str) -> float:
        """Take a token for ``client``; return 0 if allowed, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        tokens, last = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate
        self._buckets[client] = (tokens - 1, now)
        if len(self._buckets) > self.MAX_CLIENTS:
            self._forget(now)
        return 0.0

    def retry_after(self, wait: float) -> str:
        return str(max(1, math.ceil(wait)))

    def _forget(self, now: float) -> None:
        full = [c for c, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for client in full:
            del self._buckets[client]
