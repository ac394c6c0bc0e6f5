"""The Redis cache, made to degrade instead of failing requests when Redis is down.

Quotes, "asked recently" markers, throttle counters and a few flags live in the cache. With
Django's `RedisCache` an unreachable Redis raises on every call, and nine endpoints out of
ten answered 500 (issue 12 item 4). `ResilientRedisCache` catches the connection error,
logs a warning, and for a few seconds (`COOLDOWN_SECONDS`) does not try Redis again, so
requests do not each wait for a connect timeout. Meanwhile:
- reads and writes go to a short in-process memo (`MEMO_SECONDS`): a quote just fetched
  from the provider is read back by the next request of this process instead of asking the
  provider again, and quotes are read through from the provider when it has expired;
- `incr` raises `CacheUnavailable`: counters cannot be shared across processes, so the
  throttles (alpacabackend.api.throttles) fail open, with a warning;
- `cache_is_down()` tells the health check, which reports `degraded`.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction

logger = logging.getLogger(__name__)

COOLDOWN_SECONDS = 5.0
MEMO_SECONDS = 5

_down_until = 0.0


class CacheUnavailable(Exception):
    """The shared cache cannot answer (a counter cannot be shared right now)."""


def cache_is_down() -> bool:
    return time.monotonic() < _down_until


def _mark_down(exc: Exception) -> None:
    global _down_until
    if not cache_is_down():
        logger.warning(
            "Redis (the cache) is unavailable, serving without it for %ss: %s",
            COOLDOWN_SECONDS,
            exc,
        )
    _down_until = time.monotonic() + COOLDOWN_SECONDS


def _redis_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class _SharedClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` on every call; one per pool is enough
    (it is thread-safe, and its pool reconnects after a fork)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._lock:
                client = self._clients.get(index)
                if client is None:
                    pool = self._get_connection_pool(write)
                    client = self._clients[index] = self._client(connection_pool=pool)
        return client


# One client (and connection pool) per process and server, whatever the number of threads
# or of backend instances Django makes (one per thread).
_shared_clients: dict[tuple, _SharedClient] = {}
_shared_lock = threading.Lock()


def _shared_client(servers, options) -> _SharedClient:
    # The retry policy is a new object per backend instance, always the same policy.
    key = (tuple(servers), tuple(sorted((k, repr(v)) for k, v in options.items() if k != "retry")))
    with _shared_lock:
        if key not in _shared_clients:
            _shared_clients[key] = _SharedClient(servers, **options)
        return _shared_clients[key]


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries with backoff inside a request: one refused connection is enough to know.
        options = {"retry": Retry(NoBackoff(), 0), **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = lambda servers, **options: _shared_client(servers, options)
        # Django builds a cache object per thread; LocMemCache shares its storage by name,
        # so one name per server makes the fallback one per process, as the module says.
        self._memo = LocMemCache(f"resilient-memo-{server}", {"OPTIONS": {"MAX_ENTRIES": 100_000}})

    def _memo_timeout(self, timeout):
        if timeout is DEFAULT_TIMEOUT or timeout is None:
            return MEMO_SECONDS
        return min(timeout, MEMO_SECONDS)

    def _try(self, call, fallback):
        if cache_is_down():
            return fallback()
        try:
            return call()
        except _redis_errors() as exc:
            _mark_down(exc)
            return fallback()

    def ping(self) -> bool:
        """Asks Redis itself (no memo, no cooldown): raises when it does not answer."""
        return self._cache.get_client(write=False).ping()

    def get(self, key, default=None, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            lambda: self._memo.get(key, default, version),
        )

    def get_many(self, keys, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            lambda: self._memo.get_many(keys, version),
        )

    def has_key(self, key, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            lambda: self._memo.has_key(key, version),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self._memo.set(key, value, self._memo_timeout(timeout), version),
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            lambda: self._memo.set_many(data, self._memo_timeout(timeout), version),
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self._memo.add(key, value, self._memo_timeout(timeout), version),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version), lambda: False
        )

    def delete(self, key, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: self._memo.delete(key, version),
        )

    def delete_many(self, keys, version=None):
        return self._try(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            lambda: self._memo.delete_many(keys, version),
        )

    def incr(self, key, delta=1, version=None):
        def unavailable():
            raise CacheUnavailable("Redis is unavailable: counters cannot be shared.")

        return self._try(
            lambda: super(ResilientRedisCache, self).incr(key, delta, version), unavailable
        )

    def counter_hit(self, key, timeout: int, version=None) -> int:
        """Adds one to the counter `key` (created at 0 when missing), keeps it `timeout`
        seconds from now and returns its new value: INCR and EXPIRE in one round trip, one
        MULTI/EXEC. A throttle did it with `add` and `incr`, three round trips (Django's
        `incr` asks EXISTS first), on every request it judged. Raises `CacheUnavailable`
        when Redis is down, as `incr` does."""

        def hit():
            full_key = self.make_and_validate_key(key, version=version)
            pipeline = self._cache.get_client(full_key, write=True).pipeline(transaction=True)
            pipeline.incr(full_key)
            pipeline.expire(full_key, timeout)
            return pipeline.execute()[0]

        def unavailable():
            raise CacheUnavailable("Redis is unavailable: counters cannot be shared.")

        return self._try(hit, unavailable)

    def clear(self):
        self._memo.clear()
        return self._try(lambda: super(ResilientRedisCache, self).clear(), lambda: None)


class ProcessCache(dict):
    """Reference data every request reads (plans, assets), kept in this process: key →
    (when read, value). A value is read again once older than `seconds`, which bounds how
    long another process's change takes to show here. `clear()` (the models' post_save and
    post_delete receivers call it) empties it at once, and again when the transaction that
    made the change commits: meanwhile another thread may have read and kept the old row.
    `kept_in_transactions=False`: a value read inside a transaction is not kept, so nothing a
    rollback takes back is ever served."""

    def __init__(self, seconds: float, *, kept_in_transactions: bool = True):
        super().__init__()
        self.seconds = seconds
        self.kept_in_transactions = kept_in_transactions

    def read(self, key, load):
        """The value kept for `key`, or `load()`'s (None is never kept)."""
        kept = self.get(key)
        if kept is not None and time.monotonic() - kept[0] <= self.seconds:
            return kept[1]
        value = load()
        if value is not None and (
            self.kept_in_transactions or not transaction.get_connection().in_atomic_block
        ):
            self[key] = (time.monotonic(), value)
        return value

    def clear(self) -> None:
        super().clear()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(super().clear)
