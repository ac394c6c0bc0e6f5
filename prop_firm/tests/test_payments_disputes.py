"""Refunds and disputes: suspension, flags, closure, and no step backwards."""

from decimal import Decimal

import pytest

from paper_trading.models import Trade
from prop_firm.payments.models import WebhookEvent
from prop_firm.tests.factories import open_position, put_quote
from prop_firm.tests.payments_factories import (  # noqa: F401 (fixtures)
    api_fixture,
    charge,
    deliver,
    dispute,
    event,
    kinds,
    paid_session,
    plan_fixture,
    stripe_checkout,
    stripe_http_fixture,
    stripe_on_fixture,
    stub_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(api, client, plan, stripe_on, stripe_http):
    """alice's purchase, paid: the account is ACTIVE."""
    purchase = stripe_checkout(api, stripe_http, plan)
    stub_session(stripe_http, paid_session(purchase))
    deliver(client, event("checkout.session.completed", paid_session(purchase)))
    purchase.refresh_from_db()
    assert purchase.account.status == "ACTIVE"
    return purchase


def _account(purchase):
    purchase.refresh_from_db()
    purchase.account.refresh_from_db()
    return purchase.account


def test_a_full_refund_suspends_the_account_and_closes_its_positions(client, paid):
    trade = open_position(paid.account, "AAPL", 10, "150.00")
    put_quote("AAPL", "151.00", "151.10")
    deliver(client, event("charge.refunded", charge(paid)))

    account = _account(paid)
    assert account.status == "SUSPENDED"
    assert paid.amount_refunded == paid.amount
    trade = Trade.objects.get(pk=trade.pk)
    assert trade.status == "CLOSED"
    assert trade.exit_price == Decimal("151.00")  # a long closes at the bid
    assert kinds(account)[-2:] == ["REFUNDED", "SUSPENDED"]


def test_a_partial_refund_only_flags_the_account(client, paid):
    deliver(client, event("charge.refunded", charge(paid, amount_refunded=5000, refunded=False)))

    account = _account(paid)
    assert account.status == "ACTIVE"
    assert str(paid.amount_refunded) == "50.00"
    assert paid.needs_review
    assert kinds(account)[-1] == "PAYMENT_REVIEW"


def test_the_same_full_refund_twice_suspends_once(client, paid):
    payload = event("charge.refunded", charge(paid))
    deliver(client, payload)
    deliver(client, payload)
    deliver(client, event("charge.refunded", charge(paid)))  # another event, same refund

    assert kinds(_account(paid)).count("SUSPENDED") == 1


def test_a_dispute_suspends_the_account(client, paid):
    deliver(client, event("charge.dispute.created", dispute()))

    account = _account(paid)
    assert account.status == "SUSPENDED"
    assert (paid.dispute_id, paid.dispute_status) == ("du_1Pq1", "needs_response")
    assert "DISPUTE" in kinds(account)


@pytest.mark.parametrize("status", ["warning_needs_response", "warning_under_review"])
def test_an_inquiry_only_flags_the_account(client, paid, status):
    deliver(client, event("charge.dispute.created", dispute(status=status)))

    account = _account(paid)
    assert account.status == "ACTIVE"
    assert paid.needs_review


def test_a_won_dispute_flags_the_account_for_reinstatement(client, paid):
    deliver(client, event("charge.dispute.created", dispute()))
    deliver(client, event("charge.dispute.closed", dispute(status="won")))

    account = _account(paid)
    assert account.status == "SUSPENDED"  # an admin decides
    assert "reinstate" in paid.review_reason


def test_a_lost_dispute_closes_the_account(client, paid):
    deliver(client, event("charge.dispute.created", dispute()))
    deliver(client, event("charge.dispute.closed", dispute(status="lost")))

    assert _account(paid).status == "CLOSED"


def test_a_dispute_created_after_it_was_won_does_not_suspend(client, paid):
    deliver(client, event("charge.dispute.closed", dispute(status="won")))
    deliver(client, event("charge.dispute.created", dispute()))

    assert _account(paid).status == "ACTIVE"


def test_a_refund_of_an_unpaid_purchase_is_ignored(api, client, plan, stripe_on, stripe_http):
    purchase = stripe_checkout(api, stripe_http, plan)
    purchase.payment_intent_id = "pi_3Pq1"
    purchase.save()
    deliver(client, event("charge.refunded", charge(purchase)))

    assert _account(purchase).status == "PENDING"
    assert WebhookEvent.objects.get().outcome == "IGNORED"


def test_a_refund_suspends_the_newest_stage_of_a_passed_account(client, paid):
    from django.db import transaction

    from prop_firm.services.lifecycle import stage_pass_locked
    from prop_firm.services.stages import plan_stages

    with transaction.atomic():
        successor = stage_pass_locked(
            account=paid.account, now=paid.paid_at, next_stage=plan_stages(paid.plan)[-1]
        )
    deliver(client, event("charge.refunded", charge(paid)))

    successor.refresh_from_db()
    assert successor.status == "SUSPENDED"
    assert _account(paid).status == "PASSED"
