"""Faults injected by actually stopping the service (issue 12, "degrade, never 500").

Redis: a server started by the test on a free port of its own, then shut down while the
API is used. Counts of faults and requests are printed (-s) for the issue's figures.
"""

import contextlib
import shutil
import socket
import subprocess
import time
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import override_settings

from conftest import PASSWORD
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    api_fixture,
    plan_fixture,
    stripe_http_fixture,
    stripe_on_fixture,
)

pytestmark = pytest.mark.django_db

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis():
    """A Redis of the test's own (never the shared one), stopped by `stop()`."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    subprocess.run(
        [REDIS_SERVER, "--port", str(port), "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--bind", "127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(port=port, retry=Retry(NoBackoff(), 0))
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        running = True

        def stop(self):
            # The connection drops as the server exits.
            with contextlib.suppress(redis.exceptions.ConnectionError):
                client.shutdown(nosave=True)
            self.running = False

    server = Server()
    yield server
    if server.running:
        server.stop()


@pytest.fixture
def resilient_cache(own_redis):
    from alpacabackend import cache as resilient

    caches = {
        "default": {
            "BACKEND": "alpacabackend.cache.ResilientRedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    resilient._down_until = 0.0
    with override_settings(CACHES=caches):
        yield own_redis
    resilient._down_until = 0.0


@pytest.fixture
def market(settings):
    settings.MARKET_DATA_PROVIDER = "simulated"
    settings.SIMULATED_MARKET_HOURS = "always"
    settings.MARKET_DATA_MAX_QUOTE_AGE = 60


def _ledger_matches(account) -> bool:
    from paper_trading.models import LedgerEntry

    account.refresh_from_db()
    total = LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
    return total == account.current_balance


def test_with_redis_stopped_trading_login_and_quotes_keep_working(
    resilient_cache, market, alice, client_for, api_client, caplog
):
    from core.models import Asset
    from paper_trading.models import Trade
    from prop_firm.tests.factories import AssetFactory, active_account

    account = active_account(alice)
    aapl = AssetFactory(symbol="AAPL")
    api = client_for(alice)
    trades = "/api/paper-trading/trades/"
    order = {"account_id": account.pk, "symbol": "AAPL", "side": "buy", "quantity": "5"}
    assert api.post(trades, order, format="json").status_code == 201  # Redis up

    resilient_cache.stop()  # the fault

    statuses = {}
    statuses["login"] = api_client.post(
        "/api/account/login/", {"email": alice.email, "password": PASSWORD}
    ).status_code
    statuses["quote"] = api.get(f"/api/core/assets/{aapl.pk}/quote/").status_code
    statuses["candles"] = api.get(
        f"/api/core/assets/{aapl.pk}/candles_v2/", {"tf": "5", "limit": 5}
    ).status_code
    statuses["detail"] = api.get(f"/api/prop-firm/accounts/{account.pk}/").status_code
    statuses["trades"] = api.get(trades).status_code
    market_order = api.post(trades, order, format="json")
    statuses["market order"] = market_order.status_code
    limit = {**order, "order_type": "limit", "limit_price": "1.00"}
    statuses["limit order"] = api.post(trades, limit, format="json").status_code
    statuses["close"] = api.post(
        f"{trades}{market_order.json()['data']['id']}/close/", {}, format="json"
    ).status_code
    statuses["refresh balance"] = api.post(
        f"/api/prop-firm/accounts/{account.pk}/refresh_balance/"
    ).status_code
    statuses["positions"] = api.get("/api/paper-trading/positions/").status_code
    health = api_client.get("/api/health/")
    statuses["health"] = health.status_code

    assert statuses == {
        "login": 200, "quote": 200, "candles": 200, "detail": 200, "trades": 200,
        "market order": 201, "limit order": 201, "close": 200, "refresh balance": 200,
        "positions": 200, "health": 200,
    }  # fmt: skip
    assert health.json()["status"] == "degraded"
    assert health.json()["checks"]["cache"]["ok"] is False
    assert "Redis (the cache) is unavailable" in caplog.text
    assert Trade.objects.filter(account=account).count() == 3
    assert _ledger_matches(account)
    assert Asset.objects.filter(symbol="AAPL").exists()
    print(f"\nFAULT redis stopped: {len(statuses)} requests, none 500, ledger balanced")


def test_throttles_fail_open_with_a_warning_when_redis_is_stopped(
    resilient_cache, alice, api_client, caplog, monkeypatch
):
    from alpacabackend.api import throttles

    monkeypatch.setattr(throttles, "_warned_at", float("-inf"))
    resilient_cache.stop()

    statuses = [
        api_client.post(
            "/api/account/login/", {"email": alice.email, "password": "wrong"}
        ).status_code
        for _ in range(8)
    ]

    assert statuses == [401] * 8  # not throttled, and not a 500
    assert "Throttles not enforced" in caplog.text


def test_quotes_are_memoised_in_process_while_redis_is_down(resilient_cache, market, db):
    from core.services.quotes import quote_latest

    resilient_cache.stop()
    first = quote_latest(symbol="AAPL")
    again = quote_latest(symbol="AAPL")

    assert first is not None and again == first
    assert first.bid > Decimal("0")


# --- the database ----------------------------------------------------------------------------


@pytest.fixture
def database_down(db):
    """Requests in this thread use a connection pointed at a closed port (PostgreSQL) or an
    unopenable file (SQLite); the test's own connection is left as it was."""
    from django.db import connections

    original = connections["default"]
    settings_dict = {**original.settings_dict}
    if original.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(_free_port()))
    else:
        settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
    broken = original.__class__(settings_dict, alias="default")
    connections._connections.default = broken
    try:
        yield
    finally:
        broken.close()
        connections._connections.default = original


def _token_without_the_database(user_id: int) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken()
    token["user_id"] = user_id
    return str(token)


def assert_database_503(response):
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] in {"DATABASE_UNAVAILABLE", "SERVICE_UNAVAILABLE"}
    assert int(response["Retry-After"]) > 0


def test_with_the_database_unreachable_every_answer_is_a_json_503(database_down):
    from django.test import Client
    from rest_framework.test import APIClient

    client = Client(raise_request_exception=False)  # as in production: handler500 answers

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_token_without_the_database(1)}")
    responses = {
        "login": APIClient().post(
            "/api/account/login/", {"email": "a@example.com", "password": "x"}
        ),
        "accounts": api.get("/api/prop-firm/accounts/"),
        "order": api.post(
            "/api/paper-trading/trades/", {"symbol": "AAPL", "side": "buy", "quantity": "1"}
        ),
        "admin login": client.post("/admin/login/", {"username": "a@b.c", "password": "x"}),
    }

    for name, response in responses.items():
        assert_database_503(response), name
    assert responses["login"].json()["code"] == "DATABASE_UNAVAILABLE"
    health = client.get("/api/health/")
    assert health.status_code == 503
    assert health.json()["checks"]["database"]["ok"] is False
    print(f"\nFAULT database unreachable: {len(responses) + 1} requests, all JSON 503")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_is_a_json_503_and_writes_nothing(alice, client_for, market):
    import threading

    from django.db import connection, connections, transaction

    from paper_trading.models import LedgerEntry
    from prop_firm.models import PropFirmAccount
    from prop_firm.tests.factories import AssetFactory, active_account

    if connection.vendor != "postgresql":
        pytest.skip("Lock timeouts need PostgreSQL (set DATABASE_URL).")
    account = active_account(alice)
    AssetFactory(symbol="AAPL")
    entries = LedgerEntry.objects.count()
    locked, release = threading.Event(), threading.Event()

    def hold_the_account_lock():
        try:
            with transaction.atomic():
                PropFirmAccount.objects.select_for_update().get(pk=account.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_account_lock)
    holder.start()
    assert locked.wait(5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        response = client_for(alice).post(
            "/api/paper-trading/trades/",
            {"account_id": account.pk, "symbol": "AAPL", "side": "buy", "quantity": "1"},
            format="json",
        )
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert_database_503(response)
    assert LedgerEntry.objects.count() == entries


# --- the broker ------------------------------------------------------------------------------


@pytest.fixture
def broker_down(settings):
    """Celery with a real (Redis) broker URL on a port where nothing listens."""
    from alpacabackend.celery import app

    def fresh_pool():  # connections are pooled per broker URL: drop them when it changes
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    fresh_pool()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = f"redis://127.0.0.1:{_free_port()}/0"
    app.conf.broker_transport_options = {"max_retries": 0}
    app.conf.task_publish_retry = False

    class Broker:
        def back(self):
            settings.CELERY_TASK_ALWAYS_EAGER = True
            app.conf.task_always_eager = True
            app.conf.broker_url = "memory://"
            fresh_pool()

    try:
        yield Broker()
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = "memory://"
        app.conf.broker_transport_options = {}
        app.conf.task_publish_retry = True
        fresh_pool()


def test_with_the_broker_down_a_webhook_commits_and_the_retry_path_loses_nothing(
    broker_down,
    client,
    api,
    plan,
    stripe_on,
    stripe_http,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    import time_machine

    from prop_firm.payments.models import WebhookEvent
    from prop_firm.payments.services.webhooks import webhook_events_retry
    from prop_firm.tests.payments_factories import (
        deliver,
        event,
        paid_session,
        stripe_checkout,
        stub_session,
    )

    purchase = stripe_checkout(api, stripe_http, plan)
    stub_session(stripe_http, paid_session(purchase))

    with django_capture_on_commit_callbacks(execute=True) as scheduled:
        response = deliver(client, event("checkout.session.completed", paid_session(purchase)))

    assert response.status_code == 200  # committed, not a 500
    assert len(scheduled) == 1  # the enqueue ran, and failed
    stored = WebhookEvent.objects.get()
    assert stored.processed_at is None  # queued work that never reached a worker

    # The retry task (beat) takes the stored event; the broker is still down, so the
    # activation email is sent in-process instead of being lost.
    with (
        time_machine.travel(time.time() + 600),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert webhook_events_retry() == 1
    purchase.account.refresh_from_db()
    assert purchase.account.status == "ACTIVE"
    assert [m.subject for m in mailoutbox if purchase.account.account_number in m.subject]
    assert _ledger_matches(purchase.account)
    broker_down.back()
    with time_machine.travel(time.time() + 1200):
        assert webhook_events_retry() == 0  # nothing processed twice
    print("\nFAULT broker down: webhook stored, 1 event retried, 1 email sent in-process")


def test_with_the_broker_down_a_staff_sync_is_a_503_not_a_500(broker_down, staff, client_for):
    response = client_for(staff).post("/api/core/alpaca/sync_assets/")

    assert response.status_code == 503
    assert response.json()["code"] == "QUEUE_UNAVAILABLE"
    assert response["Retry-After"]


@pytest.mark.redis
def test_every_thread_of_a_process_shares_one_redis_client_and_pool(redis_url):
    """Issue 13: a new client per call (and a pool per thread) cost a connection each time."""
    import threading

    from alpacabackend.cache import ResilientRedisCache

    params = {"OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}
    clients = []

    def use_cache():
        backend = ResilientRedisCache(redis_url, params)  # what Django makes per thread
        backend.set("issue13:shared", "yes")
        clients.append(backend._cache.get_client(write=True))
        clients.append(backend._cache.get_client(write=False))

    threads = [threading.Thread(target=use_cache) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in clients}) == 1
    assert ResilientRedisCache(redis_url, params).get("issue13:shared") == "yes"


@pytest.mark.django_db
def test_with_the_broker_down_register_and_password_reset_still_answer_and_mail(
    broker_down, api_client, mailoutbox, django_capture_on_commit_callbacks
):
    """Their emails are queued after the user row committed: a dead broker must not turn
    a saved registration into a 500, nor make password reset answer differently for a
    real address (that would reveal which emails have accounts). The email goes inline."""
    with django_capture_on_commit_callbacks(execute=True):
        registered = api_client.post(
            "/api/account/register/",
            {"email": "dora@example.com", "name": "Dora", "password": "Str0ng-Passw0rd!",
             "password2": "Str0ng-Passw0rd!", "tc": True},
            format="json",
        )  # fmt: skip
    assert registered.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        reset = api_client.post(
            "/api/account/send-reset-password-email/", {"email": "dora@example.com"}, format="json"
        )
    assert reset.status_code == 200
    assert len(mailoutbox) == 2  # the verification link and the reset link
