"""Test-wide fixtures: personas (alice, bob, staff), authenticated clients, the real Redis."""

import os
from datetime import UTC, datetime

import pytest
import time_machine

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/8")


def worker_redis_url(base_url: str, worker: str) -> str:
    """Each pytest-xdist worker gets its own Redis database, counted up from the base URL's
    (gw0 the base, gw1 the next, ...; wrapping within Redis's 16), so a test that flushes its
    database (`cache.clear()` on a Redis cache) or runs a Celery worker on the default queue
    never meets another worker's keys. PostgreSQL is isolated by pytest-django (one test
    database per worker, `test_<name>_gw0`, ...)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base_url)
    base_db = int(parts.path.strip("/") or 0)
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    db = base_db + index % (16 - base_db) if base_db < 16 else base_db
    return urlunsplit(parts._replace(path=f"/{db}"))


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters, cached quotes and the process's plan and asset caches never leak
    from one test into the next (a rolled-back test's plan id is reused by the next one)."""
    from django.core.cache import cache

    from core.selectors import assets_cache_clear
    from prop_firm.services.stages import plans_cache_clear

    cache.clear()
    plans_cache_clear()
    assets_cache_clear()
    yield
    cache.clear()
    plans_cache_clear()
    assets_cache_clear()


@pytest.fixture(scope="session")
def redis_url(worker_id):
    """This worker's database on the real Redis, for tests marked `redis`; on CI its absence
    is a failure, not a skip."""
    import redis

    url = worker_redis_url(TEST_REDIS_URL, worker_id)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {url}")
        pytest.skip(f"Redis is not reachable at {url}")
    return url


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


PASSWORD = "Str0ng-Passw0rd!"


def _make_user(email: str, name: str, **extra):
    from account.models import User

    return User.objects.create_user(email=email, name=name, password=PASSWORD, **extra)


@pytest.fixture
def alice(db):
    """The trader who owns the objects under test."""
    return _make_user("alice@example.com", "Alice Trader")


@pytest.fixture
def bob(db):
    """Another trader: never sees alice's objects."""
    return _make_user("bob@example.com", "Bob Trader")


@pytest.fixture
def staff(db):
    return _make_user("staff@example.com", "Staff Member", is_staff=True)


@pytest.fixture
def client_for():
    """`client_for(user)` is an APIClient authenticated with a real access token."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.fixture
def market_data_down(settings):
    """The market-data provider does not answer: Alpaca configured, every HTTP call refused
    at the edge (`responses` with nothing stubbed). Request it before the fixtures that issue
    tokens or place orders: it moves the clock."""
    import responses

    settings.MARKET_DATA_PROVIDER = "alpaca"
    settings.APCA_API_KEY = "PKTEST"
    settings.APCA_API_SECRET_KEY = "secret"
    from core.providers import get_provider

    get_provider()._sleep = lambda seconds: None  # retries wait for nobody in tests
    # Alpaca's market follows the NYSE calendar: hold the clock inside a session, or the
    # answer would be MARKET_CLOSED whenever the suite runs after hours.
    in_session = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # a Wednesday, 10:30 New York
    with (
        time_machine.travel(in_session, tick=True),
        responses.RequestsMock(assert_all_requests_are_fired=False),
    ):
        yield
