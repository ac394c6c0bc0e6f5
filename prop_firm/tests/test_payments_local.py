"""The local gateway end to end: create_session → checkout page → Pay → webhook → trading."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from prop_firm.models import PropFirmAccount
from prop_firm.payments.models import LocalCheckoutSession, Purchase, WebhookEvent
from prop_firm.tests.factories import AssetFactory, put_quote
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    CANCEL_URL,
    CREATE,
    SUCCESS_URL,
    VERIFY,
    activations,
    api_fixture,
    deposits,
    kinds,
    local_on_fixture,
    plan_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkout(api, plan, local_on):
    response = api.post(
        CREATE,
        {"plan_id": plan.pk, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
        format="json",
    )
    assert response.status_code == 201
    return response.json()["data"]


def _path(url: str) -> str:
    return urlsplit(url).path


def test_the_checkout_page_shows_the_plan_and_price(client, checkout, plan):
    response = client.get(_path(checkout["session_url"]))

    assert response.status_code == 200
    page = response.content.decode()
    assert plan.name.replace("$", "") in page
    assert "299.00 USD" in page
    for action in ("pay/", "decline/", "cancel/"):
        assert f'action="{action}"' in page


def test_pay_activates_before_the_browser_lands_on_success_url(
    client, checkout, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_path(checkout["session_url"]) + "pay/")

    assert response.status_code == 302
    landing = urlsplit(response["Location"])
    assert response["Location"].startswith(SUCCESS_URL)
    assert parse_qs(landing.query)["session_id"] == [checkout["session_id"]]
    account = PropFirmAccount.objects.get(pk=checkout["account_id"])
    assert account.status == "ACTIVE"
    assert account.current_balance == account.starting_balance
    assert (activations(account), deposits(account)) == (1, 1)
    stored = WebhookEvent.objects.get()
    assert (stored.type, stored.outcome) == ("checkout.session.completed", "PROCESSED")
    assert stored.event_id.startswith("evt_")
    assert Purchase.objects.get().status == "PAID"


def test_paying_marks_the_trader_verified(
    client, checkout, alice, django_capture_on_commit_callbacks
):
    assert alice.is_verified is False

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_path(checkout["session_url"]) + "pay/")

    alice.refresh_from_db()
    assert alice.is_verified is True


def test_pay_twice_activates_once(client, checkout, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(_path(checkout["session_url"]) + "pay/")

    account = PropFirmAccount.objects.get(pk=checkout["account_id"])
    assert (activations(account), deposits(account)) == (1, 1)
    assert WebhookEvent.objects.count() == 1


def test_decline_records_the_failure_and_a_later_pay_still_activates(
    client, checkout, django_capture_on_commit_callbacks
):
    page = _path(checkout["session_url"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page + "decline/")
    assert response.status_code == 302
    assert "declined=1" in response["Location"]
    assert "declined" in client.get(response["Location"]).content.decode()

    purchase = Purchase.objects.get()
    assert purchase.failure_code == "generic_decline"
    assert kinds(purchase.account) == ["CREATED", "PAYMENT_FAILED"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(page + "pay/")
    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "ACTIVE"


def test_a_purchase_paid_after_a_decline_shows_no_failure(
    client, checkout, django_capture_on_commit_callbacks
):
    page = _path(checkout["session_url"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page + "decline/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page + "pay/")

    purchase = Purchase.objects.get()
    assert purchase.status == "PAID"
    assert (purchase.failure_code, purchase.failure_message) == ("", "")
    assert kinds(purchase.account)[:2] == ["CREATED", "PAYMENT_FAILED"]  # kept in the log


def test_cancel_returns_to_cancel_url_and_leaves_the_account_pending(client, checkout):
    response = client.post(_path(checkout["session_url"]) + "cancel/")

    assert response.status_code == 302
    assert response["Location"] == CANCEL_URL
    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "PENDING"


def test_the_page_is_gone_when_the_local_gateway_is_off(client, checkout, local_on):
    local_on.STRIPE_SECRET_KEY = "sk_test_51Hx"
    assert client.get(_path(checkout["session_url"])).status_code == 404
    assert client.post(_path(checkout["session_url"]) + "pay/").status_code == 404


def test_an_unknown_session_is_404(client, local_on):
    assert client.get("/payments/local/cs_local_nope/").status_code == 404


def test_verify_payment_before_pay_is_402_and_after_is_200(
    api, client, checkout, django_capture_on_commit_callbacks
):
    body = {"account_id": checkout["account_id"], "session_id": checkout["session_id"]}
    assert api.post(VERIFY, body, format="json").status_code == 402

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_path(checkout["session_url"]) + "pay/")
    response = api.post(VERIFY, body, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ACTIVE"


def test_a_completed_event_without_pay_activates_nothing(checkout, settings):
    # A correctly signed completed event, but the local gateway's record says unpaid.
    from prop_firm.payments import events
    from prop_firm.payments.gateways import local_webhook_secret
    from prop_firm.payments.services.webhooks import webhook_deliver

    purchase = Purchase.objects.get()
    payload = events.event_for("checkout.session.completed", purchase)
    body = events.event_encode(payload)
    webhook_deliver(payload=body, signature=events.event_sign(body, local_webhook_secret()))

    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "PENDING"


def test_expired_local_sessions_close_their_pending_accounts(
    checkout, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from prop_firm.payments.services.local import local_sessions_expire

    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert local_sessions_expire() == 1

    assert LocalCheckoutSession.objects.get().status == "expired"
    assert Purchase.objects.get().status == "EXPIRED"
    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "CLOSED"


def _a_day_later():
    return time_machine.travel(timezone.now() + timedelta(hours=25))


def test_a_new_checkout_expires_overdue_local_sessions_without_beat(
    client_for, alice, plan, checkout, django_capture_on_commit_callbacks
):
    body = {"plan_id": plan.pk, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL}
    with _a_day_later(), django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(CREATE, body, format="json")  # a fresh token

    assert response.status_code == 201
    abandoned = Purchase.objects.get(account_id=checkout["account_id"])
    assert abandoned.status == "EXPIRED"
    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "CLOSED"
    new = Purchase.objects.get(account_id=response.json()["data"]["account_id"])
    assert new.status == "OPEN"
    assert new.account.status == "PENDING"


def test_a_new_checkout_leaves_a_recent_local_session_open(
    api, plan, checkout, django_capture_on_commit_callbacks
):
    body = {"plan_id": plan.pk, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL}
    with django_capture_on_commit_callbacks(execute=True):
        api.post(CREATE, body, format="json")

    assert Purchase.objects.get(account_id=checkout["account_id"]).status == "OPEN"
    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "PENDING"


def test_opening_an_overdue_checkout_page_expires_it(
    client, checkout, django_capture_on_commit_callbacks
):
    with _a_day_later(), django_capture_on_commit_callbacks(execute=True):
        response = client.get(_path(checkout["session_url"]))

    assert response.status_code == 200
    assert "expired" in response.content.decode()
    assert 'action="pay/"' not in response.content.decode()
    assert LocalCheckoutSession.objects.get().status == "expired"
    assert Purchase.objects.get().status == "EXPIRED"
    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "CLOSED"


def test_an_overdue_session_cannot_be_paid(client, checkout, django_capture_on_commit_callbacks):
    with _a_day_later(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(_path(checkout["session_url"]) + "pay/")

    assert response.status_code == 302
    assert not response["Location"].startswith(SUCCESS_URL)
    account = PropFirmAccount.objects.get(pk=checkout["account_id"])
    assert account.status == "CLOSED"
    assert (activations(account), deposits(account)) == (0, 0)


def test_a_new_user_buys_the_50k_challenge_and_trades(
    api, client, checkout, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_path(checkout["session_url"]) + "pay/")

    AssetFactory(symbol="AAPL")
    put_quote("AAPL", "189.90", "190.00")
    response = api.post(
        "/api/paper-trading/trades/",
        {"symbol": "AAPL", "side": "buy", "quantity": "10", "order_type": "market"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    trade = response.json()["data"]
    assert trade["status"] == "OPEN"
    assert trade["account"] == checkout["account_id"]
    assert re.fullmatch(r"PA\d{8}", trade["account_number"])


def test_the_page_works_with_csrf_checks_on(checkout, django_capture_on_commit_callbacks):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = _path(checkout["session_url"])
    html = browser.get(page).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    assert browser.post(page + "pay/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(page + "pay/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert PropFirmAccount.objects.get(pk=checkout["account_id"]).status == "ACTIVE"
