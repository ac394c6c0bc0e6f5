"""The throttles' window counter on the real Redis: one round trip per judged request
(INCR and EXPIRE in one MULTI/EXEC), shared by every process, exact under concurrency."""

import threading

import pytest
import redis
from django.test import override_settings

from alpacabackend.api import throttles
from alpacabackend.cache import ResilientRedisCache

PARAMS = {"OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}


@pytest.fixture
def redis_cache(redis_url):
    caches = {"default": {"BACKEND": "alpacabackend.cache.ResilientRedisCache",
                          "LOCATION": redis_url, **PARAMS}}  # fmt: skip
    with override_settings(CACHES=caches):
        from django.core.cache import cache

        cache.clear()
        yield cache
        cache.clear()


@pytest.mark.redis
def test_the_counter_counts_and_expires_with_its_window(redis_url, redis_cache):
    backend = ResilientRedisCache(redis_url, PARAMS)
    assert [backend.counter_hit("t13:window", timeout=61) for _ in range(3)] == [1, 2, 3]
    raw = redis.Redis.from_url(redis_url)
    ttl = raw.ttl(backend.make_and_validate_key("t13:window"))
    assert 0 < ttl <= 61
    # Another process (another backend object) counts in the same window.
    assert ResilientRedisCache(redis_url, PARAMS).counter_hit("t13:window", timeout=61) == 4


@pytest.mark.redis
def test_a_throttled_request_costs_one_round_trip(redis_url, redis_cache, monkeypatch):
    client = ResilientRedisCache(redis_url, PARAMS)._cache.get_client(write=True)
    sent = []
    execute = type(client).execute_command
    pipeline_execute = redis.client.Pipeline.execute

    def counted(self, *args, **kwargs):
        sent.append(args[0])
        return execute(self, *args, **kwargs)

    def counted_pipeline(self, *args, **kwargs):
        sent.append("PIPELINE")
        return pipeline_execute(self, *args, **kwargs)

    monkeypatch.setattr(type(client), "execute_command", counted)
    monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)
    allowed = [throttles.counter_hit("t13:ip", limit=2, period=60)[0] for _ in range(3)]
    assert allowed == [True, True, False]
    assert sent == ["PIPELINE"] * 3  # one round trip each: no add, no EXISTS, no separate INCR


@pytest.mark.redis
def test_at_most_the_limit_passes_whatever_the_concurrency(redis_url, redis_cache):
    allowed = []
    lock = threading.Lock()

    def hit():
        ok, _ = throttles.counter_hit("t13:parallel", limit=5, period=60)
        with lock:
            allowed.append(ok)

    threads = [threading.Thread(target=hit) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5
