"""Login lockout (account/api/throttles.py): atomic counters, per email and IP pair, with a
looser per-email ceiling a known device is exempt from (issue 12 item 7)."""

import threading

import pytest
from django.test import override_settings
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from account.api.throttles import AuthEmailIpThrottle
from conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/api/account/login/"


def login(email, password, ip):
    return APIClient(REMOTE_ADDR=ip).post(LOGIN, {"email": email, "password": password})


def test_wrong_guesses_from_elsewhere_do_not_lock_the_owner_out(alice):
    for _ in range(10):
        login(alice.email, "guess", "203.0.113.7")

    assert login(alice.email, "guess", "203.0.113.7").status_code == 429
    assert login(alice.email, PASSWORD, "198.51.100.20").status_code == 200


def test_the_pair_is_locked_after_five_attempts(alice):
    statuses = [login(alice.email, "guess", "203.0.113.7").status_code for _ in range(6)]

    assert statuses == [401] * 5 + [429]


def test_a_known_device_gets_in_past_the_per_email_ceiling(alice, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "auth_email": "8/min"},
    }
    assert login(alice.email, PASSWORD, "198.51.100.20").status_code == 200  # her laptop
    for n in range(10):  # guesses from many addresses exhaust the per-email ceiling
        login(alice.email, "guess", f"203.0.113.{n}")

    assert login(alice.email, PASSWORD, "192.0.2.99").status_code == 429  # a new device
    assert login(alice.email, PASSWORD, "198.51.100.20").status_code == 200  # the known one


@pytest.mark.redis
def test_concurrent_attempts_never_pass_more_than_the_rate(redis_url):
    """30 attempts at once for one email from one address: exactly 5 pass (the old
    read-then-write history let 7 through)."""
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    factory = APIRequestFactory()
    barrier = threading.Barrier(30)
    allowed = []

    def attempt():
        request = Request(
            factory.post(LOGIN, {"email": "alice@example.com", "password": "x"}, format="json"),
            parsers=[JSONParser()],
        )
        barrier.wait()
        allowed.append(AuthEmailIpThrottle().allow_request(request, None))

    with override_settings(CACHES=caches):
        from django.core.cache import cache

        cache.clear()
        threads = [threading.Thread(target=attempt) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cache.clear()

    assert allowed.count(True) == 5
