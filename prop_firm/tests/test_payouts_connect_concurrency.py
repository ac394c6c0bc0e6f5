"""Double clicks on "Set up payouts": concurrent onboardings store one connected account."""

import threading

import pytest
import responses
from django.db import connection, connections

from prop_firm.payouts import connect
from prop_firm.payouts.models import ConnectedAccount
from prop_firm.tests.test_payouts_connect import ACCOUNT_ID, account_link, stripe_account

STRIPE_API = "https://api.stripe.com/v1"
THREADS = 8

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


def test_concurrent_onboardings_store_one_connected_account(alice, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_51Hx"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]
    barrier = threading.Barrier(THREADS)
    accounts, failures = [], []

    def run():
        try:
            barrier.wait()
            record, _link = connect.connect_onboard(user=alice)
            accounts.append(record.stripe_account_id)
        except Exception as exc:  # a failure must show in the assertion, not vanish
            failures.append(repr(exc))
        finally:
            connections.close_all()

    # Stripe answers every retry of one idempotency key with the same account.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stripe:
        stripe.post(f"{STRIPE_API}/accounts", json=stripe_account())
        stripe.post(f"{STRIPE_API}/account_links", json=account_link())
        threads = [threading.Thread(target=run) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        keys = {
            call.request.headers["Idempotency-Key"]
            for call in stripe.calls
            if call.request.url == f"{STRIPE_API}/accounts"
        }

    assert failures == []
    assert accounts == [ACCOUNT_ID] * THREADS
    assert keys == {f"connect-account-{alice.pk}"}
    assert ConnectedAccount.objects.count() == 1
    alice.refresh_from_db()
    assert alice.stripe_account_id == ACCOUNT_ID
