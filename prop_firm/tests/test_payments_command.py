"""manage.py send_test_webhook: signed events, duplicated, reordered, for demos."""

from io import StringIO

import pytest
from django.core.management import call_command

from prop_firm.models import PropFirmAccount
from prop_firm.payments.models import Purchase, WebhookEvent
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    CANCEL_URL,
    CREATE,
    SUCCESS_URL,
    activations,
    api_fixture,
    local_on_fixture,
    plan_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(api, plan, local_on):
    response = api.post(
        CREATE,
        {"plan_id": plan.pk, "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL},
        format="json",
    )
    return PropFirmAccount.objects.get(pk=response.json()["data"]["account_id"])


def _run(*args) -> str:
    out = StringIO()
    call_command("send_test_webhook", *args, stdout=out)
    return out.getvalue()


def test_a_completed_event_sent_five_times_activates_once(account):
    out = _run(
        "checkout.session.completed", "--account", account.account_number, "--pay", "--times", "5"
    )

    account.refresh_from_db()
    assert account.status == "ACTIVE"
    assert activations(account) == 1
    assert WebhookEvent.objects.get().deliveries == 5
    assert "delivery 5" in out


def test_without_pay_the_completed_event_activates_nothing(account):
    _run("checkout.session.completed", "--account", account.account_number)
    account.refresh_from_db()
    assert account.status == "PENDING"


def test_reordered_failure_after_success_changes_nothing(account):
    _run(
        "payment_intent.payment_failed",
        "checkout.session.completed",
        "--account",
        account.account_number,
        "--pay",
        "--reverse",
    )
    account.refresh_from_db()
    assert account.status == "ACTIVE"
    late = WebhookEvent.objects.get(type="payment_intent.payment_failed")
    assert late.outcome == "IGNORED"


def test_an_event_lying_about_the_amount_is_checked_against_the_gateway(account):
    _run(
        "checkout.session.completed",
        "--account",
        account.account_number,
        "--pay",
        "--amount",
        "1.00",
    )
    # The event lies about the amount; the gateway's own record is what counts.
    account.refresh_from_db()
    assert account.status == "ACTIVE"


def test_a_stale_signature_is_rejected(account):
    out = _run("checkout.session.completed", "--account", account.account_number, "--stale")
    assert "rejected" in out
    assert not WebhookEvent.objects.exists()


def test_a_full_refund_after_payment_suspends(account):
    _run(
        "checkout.session.completed",
        "charge.refunded",
        "--account",
        account.account_number,
        "--pay",
    )
    account.refresh_from_db()
    assert account.status == "SUSPENDED"
    assert Purchase.objects.get().amount_refunded == Purchase.objects.get().amount
