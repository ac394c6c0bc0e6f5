"""Exactly once under concurrency (PostgreSQL, real threads, real row locks)."""

import json
import threading
import time

import pytest
import responses
from django.db import connection, connections
from django.test import Client

from prop_firm.payments.models import WebhookEvent
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    STRIPE_API,
    VERIFY,
    activations,
    api_fixture,
    deliver,
    deposits,
    event,
    kinds,
    paid_session,
    payment_intent,
    plan_fixture,
    stripe_checkout,
    stripe_http_fixture,
    stripe_on_fixture,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (set DATABASE_URL)")


def _together(jobs) -> list:
    """Runs the callables at the same moment, one thread each; returns their results."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # reported by the assertion on results
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def purchase(api, plan, stripe_on, stripe_http):
    purchase = stripe_checkout(api, stripe_http, plan)
    session = json.dumps(paid_session(purchase))

    def slow_stripe(request):
        # Every delivery reaches the locked step while the others still wait for Stripe.
        time.sleep(0.2)
        return 200, {}, session

    stripe_http.add_callback(
        responses.GET,
        f"{STRIPE_API}/checkout/sessions/{purchase.session_id}",
        callback=slow_stripe,
        content_type="application/json",
    )
    return purchase


def test_the_same_event_twenty_times_ten_at_once_activates_once(purchase):
    payload = event("checkout.session.completed", paid_session(purchase))

    results = _together([lambda: deliver(Client(), payload).status_code] * 10)
    assert results == [200] * 10
    for _ in range(10):
        assert deliver(Client(), payload).status_code == 200

    account = purchase.account
    assert (activations(account), deposits(account)) == (1, 1)
    assert kinds(account) == ["CREATED", "ACTIVATED"]
    stored = WebhookEvent.objects.get()
    assert (stored.deliveries, stored.outcome) == (20, "PROCESSED")
    assert stored.outcome_detail == "account activated"  # applied once, never overwritten
    account.refresh_from_db()
    assert account.current_balance == account.starting_balance


def test_different_events_and_the_browser_at_once_activate_once(purchase, client_for, alice):
    session = paid_session(purchase)
    jobs = [
        lambda: deliver(Client(), event("checkout.session.completed", session)).status_code,
        lambda: (
            deliver(
                Client(), event("checkout.session.async_payment_succeeded", session)
            ).status_code
        ),
        lambda: (
            deliver(
                Client(), event("payment_intent.succeeded", payment_intent(purchase))
            ).status_code
        ),
        lambda: (
            client_for(alice)
            .post(
                VERIFY,
                {"account_id": purchase.account_id, "session_id": purchase.session_id},
                format="json",
            )
            .status_code
        ),
    ] * 3

    assert _together(jobs) == [200] * 12
    assert (activations(purchase.account), deposits(purchase.account)) == (1, 1)


def test_one_payment_failure_delivered_at_once_is_recorded_once(purchase):
    from prop_firm.tests.payments_factories import declined_intent

    payload = event("payment_intent.payment_failed", declined_intent(purchase))
    assert _together([lambda: deliver(Client(), payload).status_code] * 8) == [200] * 8
    assert kinds(purchase.account).count("PAYMENT_FAILED") == 1
