"""Test-wide fixtures: personas (alice, bob, staff), authenticated clients, the real Redis."""

import os
from datetime import UTC, datetime

import pytest
import time_machine

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached quotes never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_url():
    """The real Redis for tests marked `redis`; on CI its absence is a failure, not a skip."""
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {TEST_REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {TEST_REDIS_URL}")
    return TEST_REDIS_URL


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
