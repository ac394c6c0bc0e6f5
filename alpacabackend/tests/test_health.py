import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_health_reports_every_dependency(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_health_says_degraded_when_only_the_cache_is_down(api_client, monkeypatch):
    """Without Redis the API still serves (quotes read through, throttles open): 200."""

    def cache_down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "set", cache_down)

    response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_health_answers_503_when_the_broker_is_down(api_client, settings):
    from alpacabackend.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = api_client.get("/api/health/")
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = "memory://"

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.redis
def test_health_is_ok_with_the_real_redis_broker(api_client, redis_url):
    from alpacabackend.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    try:
        response = api_client.get("/api/health/")
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = "memory://"

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True
