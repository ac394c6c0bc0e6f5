"""POST /api/prop-firm/checkout/create_session/ and GET .../checkout/config/."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests

from prop_firm.models import PropFirmAccount
from prop_firm.payments.models import Purchase
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    APP,
    CANCEL_URL,
    CONFIG,
    CREATE,
    STRIPE_API,
    SUCCESS_URL,
    api_fixture,
    checkout_session,
    kinds,
    local_on_fixture,
    plan_fixture,
    stripe_checkout,
    stripe_error,
    stripe_http_fixture,
    stripe_on_fixture,
    stub_session_create,
)

pytestmark = pytest.mark.django_db


def _create(api, plan, **body):
    data = {"plan_id": plan.pk, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL, **body}
    return api.post(CREATE, data, format="json")


def test_it_creates_a_stripe_session_and_a_pending_account(api, plan, stripe_on, stripe_http):
    stub_session_create(stripe_http)
    response = _create(api, plan)

    assert response.status_code == 201
    data = response.json()["data"]
    purchase = Purchase.objects.get()
    assert data == {
        "session_id": "cs_test_a1b2c3",
        "session_url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3#fidkdWxOYHwnPyd1",
        "account_id": purchase.account_id,
        "account_number": purchase.account.account_number,
    }
    assert purchase.account.status == "PENDING"
    assert purchase.account.account_number.startswith("PA")
    assert (purchase.status, purchase.gateway) == ("OPEN", "stripe")
    assert (purchase.amount, purchase.currency) == (Decimal("299.00"), "usd")
    assert purchase.session_url.startswith("https://checkout.stripe.com/")


def test_it_sends_stripe_the_price_in_cents_metadata_and_an_idempotency_key(
    api, plan, stripe_on, stripe_http, alice
):
    purchase = stripe_checkout(api, stripe_http, plan)

    request = stripe_http.calls[0].request
    form = parse_qs(request.body)
    assert request.headers["Authorization"] == "Bearer sk_test_51Hx"
    assert request.headers["Idempotency-Key"] == purchase.idempotency_key
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][unit_amount]"] == ["29900"]
    assert form["line_items[0][price_data][currency]"] == ["usd"]
    assert form["line_items[0][quantity]"] == ["1"]
    assert form["client_reference_id"] == [str(purchase.account_id)]
    assert form["customer_email"] == [alice.email]
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert form[f"{prefix}[purchase_id]"] == [str(purchase.pk)]
        assert form[f"{prefix}[account_id]"] == [str(purchase.account_id)]
        assert form[f"{prefix}[plan_id]"] == [str(plan.pk)]
        assert form[f"{prefix}[user_id]"] == [str(alice.pk)]
    assert form["success_url"] == [SUCCESS_URL + "&session_id={CHECKOUT_SESSION_ID}"]
    assert form["cancel_url"] == [CANCEL_URL]


def test_it_uses_the_plans_stripe_price_when_set(api, stripe_on, stripe_http):
    from prop_firm.tests.factories import PlanFactory

    priced = PlanFactory(price=Decimal("299.00"), stripe_price_id="price_1Pq1")
    stripe_checkout(api, stripe_http, priced)

    form = parse_qs(stripe_http.calls[0].request.body)
    assert form["line_items[0][price]"] == ["price_1Pq1"]
    assert "line_items[0][price_data][unit_amount]" not in form


def test_unknown_plan_is_404(api, stripe_on):
    response = api.post(
        CREATE,
        {"plan_id": 999999, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "PLAN_NOT_FOUND"


def test_inactive_plan_is_400(api, plan, stripe_on):
    plan.is_active = False
    plan.save()
    response = _create(api, plan)
    assert response.status_code == 400
    assert response.json()["code"] == "PLAN_NOT_AVAILABLE"
    assert not PropFirmAccount.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://localhost:5173/x", "not a url"])
def test_it_refuses_non_http_urls(api, plan, stripe_on, url):
    response = _create(api, plan, success_url=url)
    assert response.status_code == 400
    assert response.json()["errors"]["success_url"]
    assert not Purchase.objects.exists()


def test_outside_debug_urls_must_be_on_an_allowed_origin(api, plan, stripe_on):
    response = _create(api, plan, cancel_url="https://evil.example.com/phish")
    assert response.status_code == 400
    body = response.json()
    assert body["msg"].startswith("cancel_url:")
    assert "cancel_url" in body["errors"]


def test_in_debug_any_http_url_is_accepted(api, plan, stripe_on, stripe_http):
    stripe_on.DEBUG = True
    stub_session_create(stripe_http)
    assert _create(api, plan, success_url="http://192.168.1.5:8080/ok").status_code == 201


def test_it_needs_a_logged_in_user(api_client, plan, stripe_on):
    response = api_client.post(CREATE, {"plan_id": plan.pk}, format="json")
    assert response.status_code == 401


def test_stripe_unreachable_is_503_and_leaves_no_open_account(api, plan, stripe_on, stripe_http):
    stripe_http.post(
        f"{STRIPE_API}/checkout/sessions", body=requests.ConnectionError("connection refused")
    )
    response = _create(api, plan)

    assert response.status_code == 503
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    purchase = Purchase.objects.get()
    assert purchase.status == "FAILED"
    assert purchase.session_id is None
    assert purchase.account.status == "CLOSED"
    assert kinds(purchase.account) == ["CREATED", "CLOSED"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (
            402,
            stripe_error(
                "card_error",
                "Your card was declined.",
                code="card_declined",
                decline_code="generic_decline",
            ),
        ),
        (
            400,
            stripe_error(
                "invalid_request_error",
                "No such price: 'price_missing'",
                code="resource_missing",
                param="line_items[0][price]",
            ),
        ),
    ],
)
def test_a_stripe_error_is_502_with_a_clear_message(
    api, plan, stripe_on, stripe_http, status, error
):
    stripe_http.post(f"{STRIPE_API}/checkout/sessions", json=error, status=status)
    response = _create(api, plan)

    assert response.status_code == 502
    body = response.json()
    assert body["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert "Nothing was charged" in body["msg"]
    assert Purchase.objects.get().account.status == "CLOSED"


def test_stripe_500_is_503(api, plan, stripe_on, stripe_http):
    stripe_http.post(
        f"{STRIPE_API}/checkout/sessions",
        json=stripe_error("api_error", "Something went wrong on Stripe's end."),
        status=500,
    )
    assert _create(api, plan).status_code == 503


def test_with_the_local_gateway_the_session_url_is_our_checkout_page(api, plan, local_on):
    response = _create(api, plan)

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["session_id"].startswith("cs_local_")
    assert data["session_url"] == f"http://testserver/payments/local/{data['session_id']}/"
    assert Purchase.objects.get().gateway == "local"


def test_a_required_verified_email_blocks_checkout_until_verified(api, alice, plan, local_on):
    local_on.CHECKOUT_REQUIRES_VERIFIED_EMAIL = True

    refused = _create(api, plan)

    assert refused.status_code == 403
    assert refused.json()["code"] == "EMAIL_NOT_VERIFIED"
    assert refused.json()["msg"].startswith("Verify your email before buying a plan")
    assert not PropFirmAccount.objects.exists()
    alice.email_verified = True
    alice.save(update_fields=["email_verified"])
    assert _create(api, plan).status_code == 201


def test_by_default_an_unverified_email_may_check_out(api, alice, plan, local_on):
    assert alice.email_verified is False

    assert _create(api, plan).status_code == 201


def test_without_stripe_and_outside_debug_checkout_is_refused(api, plan, local_on):
    local_on.DEBUG = False
    local_on.CORS_ALLOWED_ORIGINS = [APP]
    response = _create(api, plan)

    assert response.status_code == 503
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert not PropFirmAccount.objects.exists()


def test_config_exposes_the_publishable_key(api_client, stripe_on):
    response = api_client.get(CONFIG)
    assert response.status_code == 200
    assert response.json()["data"] == {"gateway": "stripe", "publishable_key": "pk_test_51Hx"}


def test_config_on_the_embedded_default_names_the_local_gateway(api_client, local_on):
    assert api_client.get(CONFIG).json()["data"] == {"gateway": "local", "publishable_key": ""}


def test_checkout_session_payload_is_stripe_shaped():
    # Guard on the fixture itself: the fields fulfilment reads exist in Stripe's shape.
    session = checkout_session()
    for field in ("id", "amount_total", "currency", "payment_status", "status", "metadata"):
        assert field in session


def test_a_trader_cannot_flood_the_firm_with_checkouts(api, plan, local_on, settings):
    # A lower rate keeps the test short (rates are read at each request).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "checkout": "3/hour",
        },
    }
    body = {"plan_id": plan.pk, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL}

    statuses = [
        api.post("/api/prop-firm/checkout/create_session/", body, format="json").status_code
        for _ in range(4)
    ]

    assert statuses == [201, 201, 201, 429]
    assert PropFirmAccount.objects.filter(status="PENDING").count() == 3
