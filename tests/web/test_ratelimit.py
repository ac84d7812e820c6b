"""Unit tests of the per-client token bucket."""

from __future__ import annotations

import time

from bordergraph.web.ratelimit import RateLimiter


def test_a_burst_is_allowed_then_the_client_waits() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.check("a")
    assert 0.9 < wait <= 1.0, "one token per second at 60 a minute"
    assert limiter.retry_after(wait) == "1"


def test_clients_have_buckets_of_their_own() -> None:
    limiter = RateLimiter(per_minute=60, burst=1)
    assert limiter.check("a") == 0.0
    assert limiter.check("a") > 0
    assert limiter.check("b") == 0.0


def test_tokens_come_back_at_the_rate() -> None:
    limiter = RateLimiter(per_minute=6000, burst=1)  # a token every 10 ms
    assert limiter.check("a") == 0.0
    wait = limiter.check("a")
    assert wait > 0
    time.sleep(wait + 0.02)
    assert limiter.check("a") == 0.0


def test_rate_zero_is_unlimited() -> None:
    limiter = RateLimiter(per_minute=0, burst=1)
    assert all(limiter.check("a") == 0.0 for _ in range(1000))


def test_retry_after_is_a_whole_number_of_seconds_at_least_one() -> None:
    limiter = RateLimiter(per_minute=60, burst=1)
    assert [limiter.retry_after(w) for w in (0.01, 1.0, 1.2, 59.5)] == ["1", "1", "2", "60"]


def test_clients_whose_bucket_is_full_again_are_forgotten_beyond_the_cap() -> None:
    limiter = RateLimiter(per_minute=6000, burst=1)
    limiter.MAX_CLIENTS = 3
    for client in ("a", "b", "c"):
        limiter.check(client)
    time.sleep(0.05)  # every bucket refills
    limiter.check("d")
    limiter.check("e")
    assert len(limiter._buckets) <= limiter.MAX_CLIENTS
    assert "e" in limiter._buckets, "the client just seen is kept"
