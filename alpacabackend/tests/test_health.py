import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


@pytest.mark.parametrize(
    "path", ["/api/health/", "/api/health/ready/", "/api/health/live/", "/api/health/live"]
)
def test_a_probe_sending_the_bare_ip_as_host_gets_its_status_not_a_400(client, caplog, path):
    with caplog.at_level(logging.WARNING):
        response = client.get(path, HTTP_HOST="10.0.3.17:8000")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert not [r for r in caplog.records if "DisallowedHost" in r.getMessage()]


def test_other_paths_still_refuse_a_host_not_allowed(client):
    response = client.get("/api/prop-firm/plans/", HTTP_HOST="10.0.3.17:8000")

    assert response.status_code == 400


def test_readiness_reports_every_dependency_like_the_plain_path(api_client):
    response = api_client.get("/api/health/ready/")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "cache", "broker"}


def test_liveness_touches_no_dependency_so_an_outage_restarts_nothing(api_client, monkeypatch):
    def cache_down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "set", cache_down)

    with CaptureQueriesContext(connection) as queries:
        live = api_client.get("/api/health/live/")
    ready = api_client.get("/api/health/ready/")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert len(queries) == 0
    # Without the cache the API still serves: ready, but degraded.
    assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
    assert ready.json()["checks"]["cache"]["ok"] is False


def test_health_paths_are_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/api/health/live/").status_code == 200
    assert client.get("/api/health/ready/").status_code == 200
    assert client.get("/api/prop-firm/plans/").status_code == 301
