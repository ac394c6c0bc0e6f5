"""Stripe Connect onboarding (Express): POST /api/prop-firm/payouts/connect/onboard/,
GET .../connect/status/, the `account.updated` webhook, and what they change in a Stripe
payout's eligibility. Stripe's API is stubbed at the HTTP level with its objects' shapes."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import requests
import time_machine

from prop_firm.payments.models import WebhookEvent
from prop_firm.payouts.models import ConnectedAccount
from prop_firm.payouts.testing import closed_trade, forced_client, funded_account
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    APP,
    STRIPE_API,
    api_fixture,
    deliver,
    event,
    stripe_error,
    stripe_http_fixture,
    stripe_on_fixture,
)

pytestmark = pytest.mark.django_db

ONBOARD = "/api/prop-firm/payouts/connect/onboard/"
STATUS = "/api/prop-firm/payouts/connect/status/"
ACCOUNT_ID = "acct_1QTraderAlice00"
LINK_URL = f"https://connect.stripe.com/setup/e/{ACCOUNT_ID}/Aq8d3kQ2WsXf"
NEW_ACCOUNT_DUE = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"]


def stripe_account(*, payouts_enabled=False, currently_due=None, **overrides) -> dict:
    """An Express account as `POST /v1/accounts` and `GET /v1/accounts/:id` return it."""
    due = NEW_ACCOUNT_DUE if currently_due is None else currently_due
    body = {
        "id": ACCOUNT_ID,
        "object": "account",
        "business_profile": {"mcc": None, "name": None, "url": None},
        "business_type": None if "business_type" in due else "individual",
        "capabilities": {"transfers": "active" if payouts_enabled else "inactive"},
        "charges_enabled": payouts_enabled,
        "controller": {"is_controller": True, "type": "application"},
        "country": "US",
        "created": 1764460800,
        "default_currency": "usd",
        "details_submitted": not due or due == ["external_account"],
        "email": "alice@example.com",
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/accounts/{ACCOUNT_ID}/external_accounts",
        },
        "future_requirements": {"currently_due": [], "eventually_due": [], "past_due": []},
        "metadata": {"user_id": "1"},
        "payouts_enabled": payouts_enabled,
        "requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": due,
            "disabled_reason": "requirements.past_due" if due else None,
            "errors": [],
            "eventually_due": due,
            "past_due": due,
            "pending_verification": [],
        },
        "settings": {"payouts": {"schedule": {"interval": "daily", "delay_days": 2}}},
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": "express",
    }
    body.update(overrides)
    return body


def account_link() -> dict:
    """`POST /v1/account_links`' answer."""
    return {
        "object": "account_link",
        "created": 1764460800,
        "expires_at": 1764461100,
        "url": LINK_URL,
    }


@pytest.fixture
def stripe(stripe_on, stripe_http):
    stripe_http.post(f"{STRIPE_API}/accounts", json=stripe_account())
    stripe_http.post(f"{STRIPE_API}/account_links", json=account_link())
    return stripe_http


def calls_to(stripe_http, method: str, url: str) -> list:
    return [c for c in stripe_http.calls if c.request.method == method and c.request.url == url]


def test_onboarding_creates_the_express_account_and_returns_the_link(api, alice, stripe):
    response = api.post(ONBOARD, {}, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["url"] == LINK_URL
    assert data["expires_at"] == "2025-11-30T00:05:00Z"
    assert data["account"]["stripe_account_id"] == ACCOUNT_ID
    assert data["account"]["payouts_enabled"] is False
    assert data["account"]["requirements"]["currently_due"] == NEW_ACCOUNT_DUE
    (create,) = calls_to(stripe, "POST", f"{STRIPE_API}/accounts")
    params = parse_qs(create.request.body)
    assert params["type"] == ["express"]
    assert params["email"] == ["alice@example.com"]
    assert params["capabilities[transfers][requested]"] == ["true"]
    assert create.request.headers["Idempotency-Key"] == f"connect-account-{alice.pk}"
    (link,) = calls_to(stripe, "POST", f"{STRIPE_API}/account_links")
    link_params = parse_qs(link.request.body)
    assert link_params["account"] == [ACCOUNT_ID]
    assert link_params["type"] == ["account_onboarding"]
    assert link_params["return_url"] == [f"{APP}/payouts?connect=return"]
    alice.refresh_from_db()
    assert alice.stripe_account_id == ACCOUNT_ID


def test_onboarding_twice_creates_one_account_and_two_links(api, stripe):
    api.post(ONBOARD, {}, format="json")

    again = api.post(ONBOARD, {}, format="json")

    assert again.status_code == 200
    assert again.json()["data"]["account"]["stripe_account_id"] == ACCOUNT_ID
    assert len(calls_to(stripe, "POST", f"{STRIPE_API}/accounts")) == 1
    assert len(calls_to(stripe, "POST", f"{STRIPE_API}/account_links")) == 2
    assert ConnectedAccount.objects.count() == 1


def test_return_urls_must_be_on_the_web_apps_origin(api, stripe):
    response = api.post(ONBOARD, {"return_url": "https://evil.example.com/x"}, format="json")

    assert response.status_code == 400
    assert "return_url" in response.json()["errors"]
    assert ConnectedAccount.objects.count() == 0


def test_stripe_refusing_the_account_is_a_502_and_stores_nothing(api, stripe_on, stripe_http):
    stripe_http.post(
        f"{STRIPE_API}/accounts",
        status=400,
        json=stripe_error("invalid_request_error", "You must enable Connect to create accounts."),
    )

    response = api.post(ONBOARD, {}, format="json")

    assert response.status_code == 502
    assert response.json()["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    assert ConnectedAccount.objects.count() == 0


def test_onboarding_needs_a_signed_in_trader(api_client, stripe_on):
    assert api_client.post(ONBOARD, {}, format="json").status_code == 401
    assert api_client.get(STATUS).status_code == 401


def test_status_before_onboarding_says_not_connected(api, stripe_on):
    response = api.get(STATUS)

    assert response.status_code == 200
    assert response.json()["data"]["connected"] is False
    assert response.json()["data"]["payouts_enabled"] is False


def test_status_asks_stripe_for_the_current_state(api, stripe):
    api.post(ONBOARD, {}, format="json")
    stripe.get(
        f"{STRIPE_API}/accounts/{ACCOUNT_ID}",
        json=stripe_account(payouts_enabled=True, currently_due=[]),
    )

    data = api.get(STATUS).json()["data"]

    assert data["connected"] is True
    assert data["payouts_enabled"] is True
    assert data["requirements"]["currently_due"] == []


def test_status_with_stripe_down_shows_the_stored_state(api, stripe):
    api.post(ONBOARD, {}, format="json")
    stripe.get(f"{STRIPE_API}/accounts/{ACCOUNT_ID}", body=requests.ConnectionError("down"))

    response = api.get(STATUS)

    assert response.status_code == 200
    assert response.json()["data"]["stripe_account_id"] == ACCOUNT_ID
    assert response.json()["data"]["payouts_enabled"] is False


def test_another_trader_sees_only_their_own_status(api, client_for, bob, stripe):
    api.post(ONBOARD, {}, format="json")

    assert client_for(bob).get(STATUS).json()["data"]["connected"] is False


# --------------------------------------------------------------------------------------
# account.updated and the eligibility of a Stripe payout
# --------------------------------------------------------------------------------------

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=15)


@pytest.fixture
def funded(alice):
    """An account eligible for a payout on every other count: P = 1,000.00."""
    with time_machine.travel(T0, tick=False):
        account = funded_account(alice, at=T0)
        closed_trade(account, "1000.00", at=T0 + timedelta(hours=1))
    return account


def stripe_eligibility(api, account) -> dict:
    """(A token-independent client: the clock moves days ahead.)"""
    url = f"/api/prop-firm/accounts/{account.pk}/payout_eligibility/?payment_method=stripe"
    return forced_client(account.user).get(url).json()["data"]


def connect_check(eligibility) -> dict:
    (check,) = [c for c in eligibility["checks"] if c["rule"] == "STRIPE_PAYOUTS_ENABLED"]
    return check


def account_updated(client, **state):
    return deliver(client, event("account.updated", stripe_account(**state)))


def test_account_updated_with_payouts_enabled_makes_a_stripe_payout_eligible(
    api, client, stripe, funded
):
    api.post(ONBOARD, {}, format="json")
    with time_machine.travel(LATER, tick=False):
        assert stripe_eligibility(api, funded)["eligible"] is False
        stripe.get(
            f"{STRIPE_API}/accounts/{ACCOUNT_ID}",
            json=stripe_account(payouts_enabled=True, currently_due=[]),
        )

        response = account_updated(client, payouts_enabled=True, currently_due=[])

        assert response.status_code == 200
        eligibility = stripe_eligibility(api, funded)
    assert eligibility["eligible"] is True
    assert connect_check(eligibility)["ok"] is True
    stored = WebhookEvent.objects.get(type="account.updated")
    assert stored.outcome == "PROCESSED"


def test_account_updated_with_payouts_disabled_makes_it_ineligible_again(
    api, client, stripe, funded
):
    api.post(ONBOARD, {}, format="json")
    ConnectedAccount.objects.update(payouts_enabled=True, requirements_currently_due=[])
    stripe.get(
        f"{STRIPE_API}/accounts/{ACCOUNT_ID}",
        json=stripe_account(payouts_enabled=False, currently_due=["external_account"]),
    )

    with time_machine.travel(LATER, tick=False):
        assert stripe_eligibility(api, funded)["eligible"] is True
        account_updated(client, payouts_enabled=False, currently_due=["external_account"])
        eligibility = stripe_eligibility(api, funded)

    assert eligibility["eligible"] is False
    check = connect_check(eligibility)
    assert check["ok"] is False
    assert "external_account" in check["detail"]


def test_a_late_event_never_puts_an_old_state_back(api, client, stripe, funded):
    """Stripe's events may arrive out of order: the handler asks Stripe for the account."""
    api.post(ONBOARD, {}, format="json")
    stripe.get(
        f"{STRIPE_API}/accounts/{ACCOUNT_ID}",
        json=stripe_account(payouts_enabled=True, currently_due=[]),
    )

    account_updated(client, payouts_enabled=False)  # an old copy, delivered late

    assert ConnectedAccount.objects.get().payouts_enabled is True


def test_manual_payouts_do_not_depend_on_stripe(api, stripe_on, funded):
    with time_machine.travel(LATER, tick=False):
        url = f"/api/prop-firm/accounts/{funded.pk}/payout_eligibility/"
        eligibility = forced_client(funded.user).get(url).json()["data"]

    assert eligibility["eligible"] is True
    assert all(c["rule"] != "STRIPE_PAYOUTS_ENABLED" for c in eligibility["checks"])


def test_account_updated_for_an_account_not_ours_is_ignored(client, stripe_on):
    response = account_updated(client, id="acct_1SomeoneElse")

    assert response.status_code == 200
    assert WebhookEvent.objects.get().outcome == "IGNORED"


def test_an_event_signed_with_the_connect_endpoints_secret_is_accepted(
    api, client, stripe, settings
):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_9d8e7f"
    api.post(ONBOARD, {}, format="json")
    stripe.get(
        f"{STRIPE_API}/accounts/{ACCOUNT_ID}",
        json=stripe_account(payouts_enabled=True, currently_due=[]),
    )
    body = json.dumps(event("account.updated", stripe_account(payouts_enabled=True)))

    response = deliver(client, body, secret="whsec_connect_9d8e7f")
    forged = deliver(client, body, secret="whsec_someone_else")

    assert response.status_code == 200
    assert forged.status_code == 400
    assert ConnectedAccount.objects.get().payouts_enabled is True


def test_connect_requests_are_throttled_per_trader(api, client_for, bob, stripe_on, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "connect": "2/min"},
    }
    statuses = [api.get(STATUS).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client_for(bob).get(STATUS).status_code == 200
