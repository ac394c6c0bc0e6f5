"""Parallel test workers never share a Redis database (pytest-xdist; see conftest.py)."""

from conftest import worker_redis_url


def test_each_parallel_worker_counts_up_from_the_configured_database():
    base = "redis://127.0.0.1:6379/8"

    assert worker_redis_url(base, "master") == base  # no xdist: the configured database
    assert worker_redis_url(base, "gw0") == base
    assert worker_redis_url(base, "gw1") == "redis://127.0.0.1:6379/9"
    assert worker_redis_url(base, "gw7") == "redis://127.0.0.1:6379/15"


def test_more_workers_than_databases_wrap_within_redis_sixteen():
    assert worker_redis_url("redis://127.0.0.1:6379/8", "gw8") == "redis://127.0.0.1:6379/8"
    assert worker_redis_url("redis://h:6379/15", "gw3") == "redis://h:6379/15"
    assert worker_redis_url("redis://h:6379", "gw2") == "redis://h:6379/2"
