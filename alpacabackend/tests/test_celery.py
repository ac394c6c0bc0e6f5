"""Celery against the real Redis: a worker picks the task up and answers."""

import pytest
from celery.contrib.testing.worker import start_worker

from alpacabackend.celery import app, ping


def _forget_cached_result_backend():
    """Celery caches the result backend and the producer pool on first use; drop them so
    the ones configured by this test are built again."""
    app._local.__dict__.pop("backend", None)
    # The broker connection pool. Not app.close(): that also takes the app off Celery's list
    # of live apps, and a tasks module imported afterwards would not register its tasks.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.redis
def test_a_real_worker_runs_a_task_through_redis(redis_url):
    previous = dict(app.conf)
    app.conf.update(
        task_always_eager=False,
        broker_url=redis_url,
        result_backend=redis_url,
        broker_connection_retry_on_startup=False,
    )
    _forget_cached_result_backend()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            result = ping.delay()
            assert result.get(timeout=15) == "pong"
    finally:
        app.conf.update(
            task_always_eager=previous["task_always_eager"],
            broker_url=previous["broker_url"],
            result_backend=previous["result_backend"],
        )
        _forget_cached_result_backend()


def test_without_a_broker_tasks_run_in_process():
    assert app.conf.task_always_eager is True
    assert ping.delay().get() == "pong"
