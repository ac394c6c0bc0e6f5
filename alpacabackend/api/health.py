"""Health checks for load balancers and orchestrators.

- `GET /api/health/live/` (liveness): the process answers; no dependency is touched, so a
  database outage never gets healthy app servers restarted.
- `GET /api/health/ready/` (readiness): database, cache and broker: 200 `ok` when all are
  up; 200 `degraded` when only the cache (Redis) is down, since the API still serves without
  it (quotes read through, throttles open); 503 naming what is down otherwise.
  `GET /api/health/` is the same report.

Probes often send the server's bare IP as `Host`, which is not in ALLOWED_HOSTS: the
middleware below answers these paths before anything validates the host, so a probe gets its
status instead of a 400 and a DisallowedHost traceback in the log. The answers carry no
host-dependent content (no redirects, no absolute URLs), so any Host is harmless here.
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from alpacabackend.api.errors import error_body
from alpacabackend.celery import app as celery_app


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "backend": connection.vendor}


def _check_cache() -> dict:
    if hasattr(cache, "ping"):
        cache.ping()  # the resilient Redis cache answers from memory when Redis is down
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return {"ok": ok, "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _check_broker() -> dict:
    if celery_app.conf.task_always_eager:
        return {"ok": True, "backend": "in-process (eager)"}
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True, "backend": conn.transport_cls}


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def health_report() -> tuple[bool, dict]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a dependency down is a finding here, not a crash
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return all(result["ok"] for result in results.values()), results


class HealthView(APIView):
    """Readiness: `/api/health/` and `/api/health/ready/`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Readiness: database, cache and broker",
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
            (503, "application/json"): inline_serializer(
                "HealthDown",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
        },
    )
    def get(self, request):
        healthy, checks = health_report()
        if healthy:
            return Response({"status": "ok", "checks": checks})
        if [name for name, check in checks.items() if not check["ok"]] == ["cache"]:
            # Without Redis the API still serves (quotes read through, throttles open).
            return Response({"status": "degraded", "checks": checks})
        down = ", ".join(name for name, check in checks.items() if not check["ok"])
        message = f"A dependency is down: {down}."
        body = error_body(message, "SERVICE_UNAVAILABLE", status="unavailable", checks=checks)
        return Response(body, status=503)


class LivenessView(APIView):
    """Liveness: `/api/health/live/`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Liveness: the process answers (no dependency checked)",
        responses={
            (200, "application/json"): inline_serializer(
                "Liveness", {"status": serializers.CharField()}
            )
        },
    )
    def get(self, request):
        return Response({"status": "ok"})


HEALTH_VIEWS = {
    "/api/health/": HealthView.as_view(),
    "/api/health/ready/": HealthView.as_view(),
    "/api/health/live/": LivenessView.as_view(),
}


class HealthCheckMiddleware:
    """Answers GET/HEAD on the health paths for any Host (see the module's docstring).

    Placed before CommonMiddleware, the first to call `request.get_host()`; the security,
    CORS and request-id middlewares around it still apply."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        # Probes are often configured without the trailing slash: no redirect for them.
        view = HEALTH_VIEWS.get(path if path.endswith("/") else f"{path}/")
        if view is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = view(request)
        return response.render()
