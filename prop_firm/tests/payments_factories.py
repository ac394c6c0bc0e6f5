"""Stripe-shaped objects, signed deliveries and fixtures for the payments tests.

The objects follow Stripe's API reference (Checkout Session, PaymentIntent, Charge, Dispute,
Event, error bodies); signatures are computed by hand the way Stripe documents them, so the
tests check our code against Stripe's format, not against our own builders.
"""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
import responses

from prop_firm.models import AccountActivity
from prop_firm.tests.factories import PlanFactory

WEBHOOK = "/api/prop-firm/webhook/stripe/"
CREATE = "/api/prop-firm/checkout/create_session/"
VERIFY = "/api/prop-firm/checkout/verify_payment/"
CONFIG = "/api/prop-firm/checkout/config/"
STRIPE_API = "https://api.stripe.com/v1"
WEBHOOK_SECRET = "whsec_test_5f1a9c0e7b"
APP = "http://localhost:5173"
SUCCESS_URL = f"{APP}/app/prop-firm?success=true"
CANCEL_URL = f"{APP}/app/prop-firm?canceled=true"


# --------------------------------------------------------------------------------------
# Settings and fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(name="stripe_on")
def stripe_on_fixture(settings):
    """Stripe test keys configured (DEBUG off, as in production)."""
    settings.DEBUG = False
    settings.PAYMENT_GATEWAY = "auto"
    settings.STRIPE_SECRET_KEY = "sk_test_51Hx"
    settings.STRIPE_PUBLIC_KEY = "pk_test_51Hx"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.CORS_ALLOWED_ORIGINS = [APP]
    return settings


@pytest.fixture(name="local_on")
def local_on_fixture(settings):
    """The embedded default: no Stripe key, DEBUG on → the local gateway."""
    settings.DEBUG = True
    settings.PAYMENT_GATEWAY = "auto"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLIC_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.PAYMENTS_LOCAL_BASE_URL = ""
    return settings


@pytest.fixture(name="stripe_http")
def stripe_http_fixture():
    """Stripe's HTTP API, stubbed; any request without a stub fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture(name="plan")
def plan_fixture(db):
    return PlanFactory(price=Decimal("299.00"))


@pytest.fixture(name="api")
def api_fixture(client_for, alice):
    return client_for(alice)


# --------------------------------------------------------------------------------------
# Stripe objects
# --------------------------------------------------------------------------------------


def checkout_session(purchase=None, **overrides) -> dict:
    """A Checkout Session as `GET /v1/checkout/sessions/:id` returns it."""
    session_id = overrides.pop("id", None) or (
        purchase.session_id if purchase else "cs_test_a1b2c3"
    )
    metadata = (
        {
            "purchase_id": str(purchase.pk),
            "account_id": str(purchase.account_id),
            "plan_id": str(purchase.plan_id),
            "user_id": str(purchase.user_id),
        }
        if purchase
        else {}
    )
    paid = overrides.get("payment_status", "unpaid") == "paid"
    body = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": 29900,
        "amount_total": 29900,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": CANCEL_URL,
        "client_reference_id": str(purchase.account_id) if purchase else None,
        "client_secret": None,
        "consent": None,
        "created": int(time.time()) - 60,
        "currency": "usd",
        "custom_fields": [],
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": {"email": "alice@example.com", "name": None, "phone": None}
        if paid
        else None,
        "customer_email": "alice@example.com",
        "expires_at": int(time.time()) + 86400,
        "invoice": None,
        "livemode": False,
        "locale": None,
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": "pi_3Pq1" if paid else None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "complete" if paid else "open",
        "submit_type": None,
        "subscription": None,
        "success_url": SUCCESS_URL + "&session_id={CHECKOUT_SESSION_ID}",
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": None if paid else f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1",
    }
    body.update(overrides)
    return body


def payment_intent(purchase=None, **overrides) -> dict:
    metadata = checkout_session(purchase)["metadata"]
    body = {
        "id": "pi_3Pq1",
        "object": "payment_intent",
        "amount": 29900,
        "amount_capturable": 0,
        "amount_received": 29900,
        "capture_method": "automatic_async",
        "client_secret": "pi_3Pq1_secret_x",
        "confirmation_method": "automatic",
        "created": int(time.time()) - 30,
        "currency": "usd",
        "customer": None,
        "last_payment_error": None,
        "latest_charge": "ch_3Pq1",
        "livemode": False,
        "metadata": metadata,
        "payment_method": "pm_1Pq1",
        "payment_method_types": ["card"],
        "status": "succeeded",
    }
    body.update(overrides)
    return body


def declined_intent(purchase=None, **overrides) -> dict:
    return payment_intent(
        purchase,
        status="requires_payment_method",
        amount_received=0,
        latest_charge="ch_3Pq0",
        last_payment_error={
            "charge": "ch_3Pq0",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card has insufficient funds.",
            "type": "card_error",
        },
        **overrides,
    )


def charge(purchase=None, **overrides) -> dict:
    body = {
        "id": "ch_3Pq1",
        "object": "charge",
        "amount": 29900,
        "amount_captured": 29900,
        "amount_refunded": 29900,
        "captured": True,
        "currency": "usd",
        "disputed": False,
        "livemode": False,
        "metadata": checkout_session(purchase)["metadata"],
        "paid": True,
        "payment_intent": "pi_3Pq1",
        "refunded": True,
        "status": "succeeded",
    }
    body.update(overrides)
    return body


def dispute(**overrides) -> dict:
    body = {
        "id": "du_1Pq1",
        "object": "dispute",
        "amount": 29900,
        "balance_transactions": [],
        "charge": "ch_3Pq1",
        "created": int(time.time()),
        "currency": "usd",
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": "pi_3Pq1",
        "reason": "fraudulent",
        "status": "needs_response",
    }
    body.update(overrides)
    return body


_event_counter = iter(range(1, 10**9))


def event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_1Test{next(_event_counter):08d}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def stripe_error(error_type: str, message: str, **fields) -> dict:
    return {"error": {"type": error_type, "message": message, **fields}}


# --------------------------------------------------------------------------------------
# Signing and delivery
# --------------------------------------------------------------------------------------


def sign(body: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """`Stripe-Signature` as Stripe documents it: HMAC-SHA256 of "{t}.{payload}"."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def deliver(client, payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp=None):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, secret, timestamp),
    )


def stub_session(rsps, session: dict) -> None:
    rsps.get(f"{STRIPE_API}/checkout/sessions/{session['id']}", json=session)


def stub_session_create(rsps, **overrides) -> None:
    def created(request):
        from urllib.parse import parse_qs

        form = parse_qs(request.body)
        body = checkout_session(
            id=overrides.get("id", "cs_test_a1b2c3"),
            client_reference_id=form["client_reference_id"][0],
            metadata={
                key[len("metadata[") : -1]: value[0]
                for key, value in form.items()
                if key.startswith("metadata[")
            },
        )
        return 200, {"Request-Id": "req_test"}, json.dumps(body)

    rsps.add_callback(
        responses.POST,
        f"{STRIPE_API}/checkout/sessions",
        callback=created,
        content_type="application/json",
    )


def activations(account) -> int:
    return AccountActivity.objects.filter(account=account, kind="ACTIVATED").count()


def deposits(account) -> int:
    from paper_trading.models import LedgerEntry

    return LedgerEntry.objects.filter(account=account, kind="DEPOSIT").count()


def kinds(account) -> list[str]:
    return list(
        AccountActivity.objects.filter(account=account)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def stripe_checkout(api, rsps, plan, session_id: str = "cs_test_a1b2c3"):
    """alice opens a Stripe checkout for `plan` through the API; returns her Purchase."""
    from prop_firm.payments.models import Purchase

    stub_session_create(rsps, id=session_id)
    response = api.post(
        CREATE,
        {"plan_id": plan.pk, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Purchase.objects.select_related("account").get(session_id=session_id)


def paid_session(purchase, **overrides) -> dict:
    return checkout_session(purchase, payment_status="paid", **overrides)
