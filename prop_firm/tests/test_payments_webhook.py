"""POST /api/prop-firm/webhook/stripe/: signatures, the event store, exactly-once fulfilment."""

import json
import time

import pytest
import requests

from paper_trading.models import LedgerEntry
from prop_firm.payments.models import Purchase, WebhookEvent
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    STRIPE_API,
    WEBHOOK,
    activations,
    api_fixture,
    checkout_session,
    declined_intent,
    deliver,
    deposits,
    event,
    kinds,
    paid_session,
    payment_intent,
    plan_fixture,
    sign,
    stripe_checkout,
    stripe_http_fixture,
    stripe_on_fixture,
    stub_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchase(api, plan, stripe_on, stripe_http):
    return stripe_checkout(api, stripe_http, plan)


def _status(purchase) -> tuple[str, str]:
    purchase.refresh_from_db()
    purchase.account.refresh_from_db()
    return purchase.status, purchase.account.status


# Signatures -----------------------------------------------------------------------------


def test_a_correctly_signed_event_is_stored(client, purchase):
    payload = event("customer.created", {"id": "cus_1", "object": "customer"})
    response = deliver(client, payload)

    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    stored = WebhookEvent.objects.get()
    assert (stored.event_id, stored.type) == (payload["id"], "customer.created")
    assert stored.payload == payload
    assert stored.outcome == "IGNORED"  # unknown type: stored and ignored
    assert stored.processed_at is not None
    assert stored.received_at is not None


def test_it_rejects_a_wrong_secret(client, purchase):
    response = deliver(client, event("checkout.session.completed", {}), secret="whsec_other")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_SIGNATURE"
    assert not WebhookEvent.objects.exists()


def test_it_rejects_a_stale_timestamp(client, purchase):
    response = deliver(
        client, event("checkout.session.completed", {}), timestamp=int(time.time()) - 301
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_it_accepts_a_timestamp_within_tolerance(client, purchase):
    payload = event("customer.created", {"id": "cus_1"})
    assert deliver(client, payload, timestamp=int(time.time()) - 290).status_code == 200


def test_it_rejects_a_body_that_is_not_utf8_without_a_500(client, purchase):
    response = client.post(
        WEBHOOK, data=b"\xf0\x28\x8c\x28", content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=00",
    )  # fmt: skip

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_it_rejects_a_tampered_body(client, purchase):
    body = json.dumps(event("checkout.session.completed", paid_session(purchase)))
    header = sign(body)
    tampered = body.replace("29900", "100")
    response = client.post(
        WEBHOOK, data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert _status(purchase) == ("OPEN", "PENDING")


def test_it_rejects_a_missing_header(client, purchase):
    body = json.dumps(event("checkout.session.completed", paid_session(purchase)))
    response = client.post(WEBHOOK, data=body, content_type="application/json")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_it_rejects_a_header_without_v1(client, purchase):
    body = json.dumps(event("customer.created", {}))
    header = sign(body).replace("v1=", "v0=")
    response = client.post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400


def test_a_signed_body_that_is_not_an_event_is_400(client, purchase):
    body = json.dumps({"hello": "world"})
    response = client.post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_no_webhook_secret_configured_is_503(client, purchase, stripe_on):
    stripe_on.STRIPE_WEBHOOK_SECRET = ""
    response = deliver(client, event("customer.created", {}))
    assert response.status_code == 503
    assert not WebhookEvent.objects.exists()


# checkout.session.completed ---------------------------------------------------------------


def test_completed_and_paid_activates_the_account(client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase))
    response = deliver(client, event("checkout.session.completed", paid_session(purchase)))

    assert response.status_code == 200
    assert _status(purchase) == ("PAID", "ACTIVE")
    account = purchase.account
    assert account.activated_at is not None
    assert account.payment_completed_at is not None
    assert account.current_balance == account.starting_balance
    assert deposits(account) == 1
    assert LedgerEntry.objects.get(account=account).amount == account.starting_balance
    assert account.sod_balance == account.starting_balance
    assert purchase.payment_intent_id == "pi_3Pq1"
    assert WebhookEvent.objects.get().outcome == "PROCESSED"
    assert WebhookEvent.objects.get().purchase == purchase


def test_the_same_event_twenty_times_activates_once(client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase))
    payload = event("checkout.session.completed", paid_session(purchase))
    for _ in range(20):
        assert deliver(client, payload).status_code == 200

    account = purchase.account
    assert (activations(account), deposits(account)) == (1, 1)
    assert kinds(account) == ["CREATED", "ACTIVATED"]
    stored = WebhookEvent.objects.get()
    assert stored.deliveries == 20


def test_a_signed_but_false_paid_event_activates_nothing(client, purchase, stripe_http):
    # Stripe itself says the session is still unpaid.
    stub_session(stripe_http, checkout_session(purchase))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))

    assert _status(purchase) == ("OPEN", "PENDING")
    assert deposits(purchase.account) == 0
    assert "NOT_PAID" in WebhookEvent.objects.get().outcome_detail


def test_a_paid_session_with_another_amount_is_flagged_not_fulfilled(client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase, amount_total=100, amount_subtotal=100))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))

    assert _status(purchase) == ("OPEN", "PENDING")
    assert purchase.needs_review
    assert "1.00 USD" in purchase.review_reason
    assert kinds(purchase.account) == ["CREATED", "PAYMENT_REVIEW"]


def test_a_paid_session_in_another_currency_is_flagged(client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase, currency="eur"))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))

    assert _status(purchase) == ("OPEN", "PENDING")
    assert purchase.needs_review


def test_completed_but_unpaid_waits_for_the_async_payment(client, purchase, stripe_http):
    session = checkout_session(purchase, status="complete", payment_status="unpaid")
    deliver(client, event("checkout.session.completed", session))

    assert _status(purchase) == ("OPEN", "PENDING")
    assert len(stripe_http.calls) == 1  # only the session creation: nothing to check yet


def test_async_payment_succeeded_activates(client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("checkout.session.async_payment_succeeded", paid_session(purchase)))
    assert _status(purchase) == ("PAID", "ACTIVE")


def test_an_event_for_an_unknown_session_is_ignored(client, purchase):
    other = checkout_session(id="cs_test_someone_else", payment_status="paid")
    assert deliver(client, event("checkout.session.completed", other)).status_code == 200
    assert WebhookEvent.objects.get().outcome == "IGNORED"
    assert _status(purchase) == ("OPEN", "PENDING")


def test_stripe_down_while_processing_is_503_then_the_redelivery_activates(
    client, purchase, stripe_http
):
    url = f"{STRIPE_API}/checkout/sessions/{purchase.session_id}"
    stripe_http.get(url, body=requests.ConnectionError("timeout"))
    payload = event("checkout.session.completed", paid_session(purchase))

    assert deliver(client, payload).status_code == 503
    stored = WebhookEvent.objects.get()
    assert (stored.outcome, stored.processed_at) == ("FAILED", None)
    assert _status(purchase) == ("OPEN", "PENDING")

    stripe_http.replace("GET", url, json=paid_session(purchase))
    assert deliver(client, payload).status_code == 200
    assert _status(purchase) == ("PAID", "ACTIVE")


def test_the_retry_sweep_processes_a_stored_unprocessed_event(client, purchase, stripe_http):
    import time_machine

    from prop_firm.payments.services.webhooks import webhook_events_retry

    url = f"{STRIPE_API}/checkout/sessions/{purchase.session_id}"
    stripe_http.get(url, body=requests.ConnectionError("timeout"))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))
    stripe_http.replace("GET", url, json=paid_session(purchase))

    with time_machine.travel(time.time() + 600):
        assert webhook_events_retry() == 1
    assert _status(purchase) == ("PAID", "ACTIVE")


# payment_intent.* ---------------------------------------------------------------------


def test_payment_intent_succeeded_links_the_intent_and_fulfils_a_paid_session(
    client, purchase, stripe_http
):
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("payment_intent.succeeded", payment_intent(purchase)))

    assert _status(purchase) == ("PAID", "ACTIVE")
    assert purchase.payment_intent_id == "pi_3Pq1"


def test_payment_intent_succeeded_with_an_unpaid_session_only_links(client, purchase, stripe_http):
    stub_session(stripe_http, checkout_session(purchase))
    deliver(client, event("payment_intent.succeeded", payment_intent(purchase)))

    assert _status(purchase) == ("OPEN", "PENDING")
    assert purchase.payment_intent_id == "pi_3Pq1"


def test_payment_failed_records_the_reason_and_nothing_else(client, purchase):
    deliver(client, event("payment_intent.payment_failed", declined_intent(purchase)))

    assert _status(purchase) == ("OPEN", "PENDING")
    assert purchase.failure_code == "insufficient_funds"
    assert purchase.failure_message == "Your card has insufficient funds."
    assert kinds(purchase.account) == ["CREATED", "PAYMENT_FAILED"]


def test_a_success_after_a_failed_card_still_activates(client, purchase, stripe_http):
    deliver(client, event("payment_intent.payment_failed", declined_intent(purchase)))
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))

    assert _status(purchase) == ("PAID", "ACTIVE")


# checkout.session.async_payment_failed / expired ---------------------------------------


@pytest.mark.parametrize(
    ("event_type", "purchase_status"),
    [("checkout.session.async_payment_failed", "FAILED"), ("checkout.session.expired", "EXPIRED")],
)
def test_a_failed_or_expired_session_closes_the_pending_account(
    client, purchase, event_type, purchase_status
):
    session = checkout_session(purchase, status="expired")
    deliver(client, event(event_type, session))

    assert _status(purchase) == (purchase_status, "CLOSED")
    assert kinds(purchase.account) == ["CREATED", "CLOSED"]


# Out of order ----------------------------------------------------------------------------


def test_a_late_payment_failure_after_activation_changes_nothing_but_the_log(
    client, purchase, stripe_http
):
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))
    deliver(client, event("payment_intent.payment_failed", declined_intent(purchase)))

    assert _status(purchase) == ("PAID", "ACTIVE")
    assert purchase.failure_code == ""
    assert kinds(purchase.account) == ["CREATED", "ACTIVATED"]
    late = WebhookEvent.objects.get(type="payment_intent.payment_failed")
    assert late.outcome == "IGNORED"


def test_a_late_expiry_after_activation_changes_nothing(client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))
    deliver(client, event("checkout.session.expired", checkout_session(purchase)))

    assert _status(purchase) == ("PAID", "ACTIVE")


def test_intent_succeeded_before_session_completed_activates_once(client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("payment_intent.succeeded", payment_intent(purchase)))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))

    assert _status(purchase) == ("PAID", "ACTIVE")
    assert (activations(purchase.account), deposits(purchase.account)) == (1, 1)


def test_a_paid_session_for_an_expired_purchase_is_flagged_for_a_refund(
    client, purchase, stripe_http
):
    deliver(client, event("checkout.session.expired", checkout_session(purchase)))
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))

    purchase.refresh_from_db()
    assert purchase.account.status == "CLOSED"
    assert deposits(purchase.account) == 0
    assert purchase.needs_review
    assert Purchase.objects.get().status == "PAID"
