"""Connect onboarding on the embedded default: the local gateway's own onboarding page
completes the flow offline and delivers a signed `account.updated` through the webhook code."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing

from prop_firm.payments.gateways.local import LINK_SALT
from prop_firm.payments.models import LocalConnectAccount, WebhookEvent
from prop_firm.payouts.models import ConnectedAccount, Payout
from prop_firm.payouts.testing import closed_trade, forced_client, funded_account
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    api_fixture,
    local_on_fixture,
    stripe_on_fixture,
)

pytestmark = pytest.mark.django_db

ONBOARD = "/api/prop-firm/payouts/connect/onboard/"
STATUS = "/api/prop-firm/payouts/connect/status/"
RETURN_URL = "http://localhost:5173/payouts?connect=return"
REFRESH_URL = "http://localhost:5173/payouts?connect=refresh"
T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=15)


def onboard(client) -> dict:
    response = client.post(
        ONBOARD, {"return_url": RETURN_URL, "refresh_url": REFRESH_URL}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def page_path(data) -> str:
    return urlsplit(data["url"]).path


def submit(client, path, django_capture_on_commit_callbacks, *, bank_account: bool):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"{path}submit/", {"bank_account": "1" if bank_account else "0"})


def test_the_whole_flow_offline_enables_stripe_payouts(
    alice, local_on, client, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False):
        account = funded_account(alice, at=T0)
        closed_trade(account, "1000.00", at=T0 + timedelta(hours=1))
    with time_machine.travel(LATER, tick=False):
        trader = forced_client(alice)
        data = onboard(trader)
        assert data["url"].startswith("http://testserver/payments/local/connect/")
        assert data["account"]["stripe_account_id"].startswith("acct_local_")
        assert data["account"]["payouts_enabled"] is False

        page = client.get(page_path(data))
        assert page.status_code == 200
        assert data["account"]["stripe_account_id"] in page.content.decode()

        done = submit(
            client, page_path(data), django_capture_on_commit_callbacks, bank_account=True
        )
        assert done.status_code == 302
        assert done["Location"] == RETURN_URL

        event = WebhookEvent.objects.get(type="account.updated")
        assert event.outcome == "PROCESSED"
        status = trader.get(STATUS).json()["data"]
        assert status["payouts_enabled"] is True
        assert status["requirements"]["currently_due"] == []

        payout = trader.post(
            "/api/prop-firm/payouts/request_payout/",
            {"account_id": account.pk, "payment_method": "stripe", "payment_details": {}},
            format="json",
        )
    assert payout.status_code == 201, payout.json()
    assert Payout.objects.get().payment_method == "stripe"


def test_submitting_without_a_bank_account_leaves_payouts_off(
    alice, local_on, api, client, django_capture_on_commit_callbacks
):
    data = onboard(api)

    submit(client, page_path(data), django_capture_on_commit_callbacks, bank_account=False)

    record = ConnectedAccount.objects.get(user=alice)
    assert record.payouts_enabled is False
    assert record.details_submitted is True
    assert record.requirements_currently_due == ["external_account"]


def test_onboarding_again_reuses_the_local_account(alice, local_on, api):
    first = onboard(api)["account"]["stripe_account_id"]

    second = onboard(api)["account"]["stripe_account_id"]

    assert first == second
    assert LocalConnectAccount.objects.count() == 1
    assert ConnectedAccount.objects.count() == 1


def test_an_expired_link_sends_the_trader_to_the_refresh_url(alice, local_on, api, client):
    data = onboard(api)

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        response = client.get(page_path(data))

    assert response.status_code == 302
    assert response["Location"] == REFRESH_URL


def test_a_forged_link_is_a_404(alice, local_on, api, client):
    data = onboard(api)
    account_id = data["account"]["stripe_account_id"]
    forged = signing.TimestampSigner(salt=LINK_SALT, key="not-our-key").sign(account_id)

    response = client.get(f"/payments/local/connect/{forged}/")

    assert response.status_code == 404


def test_the_page_does_not_exist_when_stripe_is_configured(alice, local_on, api, client, settings):
    data = onboard(api)
    settings.STRIPE_SECRET_KEY = "sk_test_51Hx"

    assert client.get(page_path(data)).status_code == 404
