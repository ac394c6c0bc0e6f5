"""Throttles whose counter is incremented atomically in the cache, and that fail open.

REST framework's `SimpleRateThrottle` reads a history list, appends and writes it back: two
requests at once both read the same list and both pass (30 parallel logins for one email let
7 through a limit of 5). Here each window has one counter, raised atomically: in Redis by
INCR with its EXPIRE, one round trip (`ResilientRedisCache.counter_hit`); elsewhere (the
local-memory cache) created with `cache.add` and raised with `cache.incr` under its lock.
Whatever the concurrency, at most `rate` requests pass per window.

Windows are fixed (`⌊now / period⌋`), so a client may send up to twice the rate across a
window's edge; the rates are set with that in mind.

When the cache is unreachable the throttle lets the request through and logs a warning:
a cache outage must not take login and trading down with it (issue 12, "degrade, never
500"). Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read at each request.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

_WARN_EVERY_SECONDS = 60
_warned_at = float("-inf")

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'5/min' → (5, 60): requests allowed per period in seconds."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0].lower()]


def rate_for(scope: str) -> str | None:
    return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)


def counter_hit(key: str, *, limit: int, period: int) -> tuple[bool, float]:
    """Counts one request under `key` in the current window; (allowed, seconds until the
    window ends). Fails open when the cache is down."""
    now = time.time()
    window = int(now // period)
    wait = (window + 1) * period - now
    cache_key = f"throttle:{key}:{window}"
    try:
        hit = getattr(cache, "counter_hit", None)  # Redis: one round trip
        if hit is not None:
            count = hit(cache_key, timeout=period + 1)
        else:
            cache.add(cache_key, 0, timeout=period + 1)
            try:
                count = cache.incr(cache_key)
            except ValueError:  # evicted between add and incr: this request starts the window
                cache.add(cache_key, 1, timeout=period + 1)
                count = 1
    except Exception as exc:  # the cache is down: let the request through, say so (once a minute)
        global _warned_at
        if time.monotonic() - _warned_at >= _WARN_EVERY_SECONDS:
            _warned_at = time.monotonic()
            logger.warning("Throttles not enforced, the cache is unavailable: %s", exc)
        return True, 0.0
    return count <= limit, wait


class AtomicRateThrottle(BaseThrottle):
    """A fixed-window counter per `scope` and `get_ident_key()`; None skips the throttle."""

    scope: str = ""

    def get_ident_key(self, request, view) -> str | None:
        raise NotImplementedError

    def get_rate(self) -> str | None:
        return rate_for(self.scope)

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate()
        if not rate:
            return True
        ident = self.get_ident_key(request, view)
        if ident is None:
            return True
        limit, period = parse_rate(rate)
        allowed, self._wait = counter_hit(f"{self.scope}:{ident}", limit=limit, period=period)
        return allowed

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class IpRateThrottle(AtomicRateThrottle):
    """Per client IP (REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES proxies)."""

    def get_ident_key(self, request, view) -> str | None:
        return self.get_ident(request)


class UserRateThrottle(AtomicRateThrottle):
    """Per signed-in user; per IP for anonymous requests."""

    def get_ident_key(self, request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{self.get_ident(request)}"


class ScopedUserRateThrottle(UserRateThrottle):
    """Per user, with the scope named by the view's `throttle_scope` (as DRF's
    ScopedRateThrottle)."""

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, "throttle_scope", "") or ""
        return super().allow_request(request, view)


class MarketDataThrottle(UserRateThrottle):
    """Market data (quotes, assets, clock) per user: a poll loop cannot drain the provider."""

    scope = "market_data"


class CandlesThrottle(UserRateThrottle):
    """Candles per user: each page may ask the provider for bars."""

    scope = "candles"
