"""POST /api/prop-firm/checkout/verify_payment/: the same fulfilment, asked by the browser."""

import pytest
import requests

from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    STRIPE_API,
    VERIFY,
    activations,
    api_fixture,
    checkout_session,
    deliver,
    deposits,
    event,
    paid_session,
    payment_intent,
    plan_fixture,
    stripe_checkout,
    stripe_http_fixture,
    stripe_on_fixture,
    stub_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def purchase(api, plan, stripe_on, stripe_http):
    return stripe_checkout(api, stripe_http, plan)


def _verify(api, purchase, **body):
    return api.post(VERIFY, {"account_id": purchase.account_id, **body}, format="json")


def test_a_paid_session_activates_and_answers_the_account(api, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase))
    response = _verify(api, purchase, session_id=purchase.session_id)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == purchase.account_id
    assert data["status"] == "ACTIVE"
    assert data["is_verified"] is True
    assert data["current_balance"] == "50000.00"


def test_verify_after_the_webhook_is_a_no_op(api, client, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))
    calls = len(stripe_http.calls)

    assert _verify(api, purchase, session_id=purchase.session_id).status_code == 200
    assert (activations(purchase.account), deposits(purchase.account)) == (1, 1)
    assert len(stripe_http.calls) == calls  # already fulfilled: no need to ask Stripe


def test_an_unpaid_session_is_402(api, purchase, stripe_http):
    stub_session(stripe_http, checkout_session(purchase))
    response = _verify(api, purchase, session_id=purchase.session_id)

    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "PAYMENT_NOT_COMPLETED"
    assert purchase.account.account_number in body["msg"]
    purchase.account.refresh_from_db()
    assert purchase.account.status == "PENDING"


def test_someone_elses_account_is_404(client_for, bob, purchase):
    response = client_for(bob).post(
        VERIFY,
        {"account_id": purchase.account_id, "session_id": purchase.session_id},
        format="json",
    )
    assert response.status_code == 404


def test_another_session_id_is_400(api, purchase):
    response = _verify(api, purchase, session_id="cs_test_not_mine")
    assert response.status_code == 400
    assert "session_id" in response.json()["errors"]


def test_it_needs_a_session_or_payment_intent(api, purchase):
    assert _verify(api, purchase).status_code == 400


def test_a_payment_intent_of_this_purchase_is_linked_and_fulfils(api, purchase, stripe_http):
    stripe_http.get(f"{STRIPE_API}/payment_intents/pi_3Pq1", json=payment_intent(purchase))
    stub_session(stripe_http, paid_session(purchase))
    response = _verify(api, purchase, payment_intent_id="pi_3Pq1")

    assert response.status_code == 200
    purchase.refresh_from_db()
    assert purchase.payment_intent_id == "pi_3Pq1"


def test_a_payment_intent_of_another_purchase_is_400(api, purchase, stripe_http):
    other = payment_intent(None, id="pi_other", metadata={"purchase_id": "999"})
    stripe_http.get(f"{STRIPE_API}/payment_intents/pi_other", json=other)
    response = _verify(api, purchase, payment_intent_id="pi_other")
    assert response.status_code == 400


def test_stripe_unreachable_is_503_and_changes_nothing(api, purchase, stripe_http):
    stripe_http.get(
        f"{STRIPE_API}/checkout/sessions/{purchase.session_id}",
        body=requests.ConnectionError("down"),
    )
    response = _verify(api, purchase, session_id=purchase.session_id)

    assert response.status_code == 503
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    purchase.account.refresh_from_db()
    assert purchase.account.status == "PENDING"


def test_an_amount_mismatch_is_409_under_review(api, purchase, stripe_http):
    stub_session(stripe_http, paid_session(purchase, amount_total=1))
    response = _verify(api, purchase, session_id=purchase.session_id)
    assert response.status_code == 409
    assert response.json()["code"] == "PAYMENT_UNDER_REVIEW"
