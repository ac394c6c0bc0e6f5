"""GET /api/prop-firm/accounts/{id}/payout_eligibility/: every RULES.md payout condition
with its own verdict, the amounts and the next eligible date."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from paper_trading.models import Trade
from prop_firm.payouts.models import Payout
from prop_firm.payouts.testing import closed_trade, funded_account, plan_create

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
LATER = T0 + timedelta(days=15)


def _url(account) -> str:
    return f"/api/prop-firm/accounts/{account.pk}/payout_eligibility/"


def _get(client, account) -> dict:
    with time_machine.travel(LATER, tick=False):
        response = client.get(_url(account))
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def _verdicts(data) -> dict[str, bool]:
    return {check["rule"]: check["ok"] for check in data["checks"]}


@pytest.fixture
def client_for():
    """An authenticated client that survives the clock moving days ahead (a real access
    token expires after minutes; authentication itself is tested below)."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def account(alice):
    account = funded_account(alice, at=T0)
    closed_trade(account, "1000.00", at=T0 + timedelta(hours=1))
    return account


def test_it_lists_every_condition_and_the_amounts(client_for, alice, account):
    data = _get(client_for(alice), account)

    assert data["eligible"] is True
    assert _verdicts(data) == {
        "STATUS": True,
        "STAGE": True,
        "NO_OPEN_POSITIONS": True,
        "NO_PENDING_ORDERS": True,
        "PAYOUT_FREQUENCY": True,
        "PROFIT": True,
        "MIN_PAYOUT_AMOUNT": True,
        "NO_PENDING_PAYOUT": True,
    }
    assert all(check["label"] and check["detail"] for check in data["checks"])
    assert data["profit"] == "1000.00"
    assert data["trader_share"] == "800.00"  # 80% of P
    first_fill = T0 + timedelta(hours=1) - timedelta(minutes=5)
    assert datetime.fromisoformat(data["next_eligible_at"]) == first_fill + timedelta(days=14)


@pytest.mark.parametrize("status", ["SUSPENDED", "FAILED", "PENDING", "CLOSED"])
def test_it_refuses_an_account_that_is_not_active(client_for, alice, account, status):
    account.status = status
    account.save(update_fields=["status"])

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["STATUS"] is False


def test_it_refuses_an_evaluation_account(client_for, alice, account):
    account.stage = "EVALUATION"
    account.save(update_fields=["stage"])

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["STAGE"] is False


def test_it_refuses_while_a_position_is_open(client_for, alice, account):
    trade = Trade.objects.filter(account=account).first()
    Trade.objects.create(
        account=account,
        asset=trade.asset,
        direction="LONG",
        status="OPEN",
        quantity=Decimal("1"),
        entry_price=Decimal("100"),
        entry_at=T0 + timedelta(days=1),
    )

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["NO_OPEN_POSITIONS"] is False


def test_it_refuses_while_an_order_is_pending(client_for, alice, account):
    trade = Trade.objects.filter(account=account).first()
    Trade.objects.create(
        account=account,
        asset=trade.asset,
        direction="LONG",
        status="PENDING",
        order_type="LIMIT",
        quantity=Decimal("1"),
        limit_price=Decimal("90"),
    )

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["NO_PENDING_ORDERS"] is False


def test_it_waits_payout_frequency_days_after_the_first_funded_fill(client_for, alice, account):
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        data = client_for(alice).get(_url(account)).json()["data"]

    assert data["eligible"] is False
    assert _verdicts(data)["PAYOUT_FREQUENCY"] is False
    first_fill = T0 + timedelta(hours=1) - timedelta(minutes=5)
    assert datetime.fromisoformat(data["next_eligible_at"]) == first_fill + timedelta(days=14)


def test_it_counts_the_waiting_period_from_the_last_payout(client_for, alice, account):
    Payout.objects.create(
        account=account,
        amount=Decimal("500.00"),
        profit_split=Decimal("80.00"),
        trader_share=Decimal("400.00"),
        status="COMPLETED",
        payment_method="bank_transfer",
        requested_at=T0 + timedelta(days=10),
    )

    data = _get(client_for(alice), account)

    assert _verdicts(data)["PAYOUT_FREQUENCY"] is False
    assert datetime.fromisoformat(data["next_eligible_at"]) == T0 + timedelta(days=24)


def test_a_rejected_payout_does_not_restart_the_waiting_period(client_for, alice, account):
    Payout.objects.create(
        account=account,
        amount=Decimal("500.00"),
        profit_split=Decimal("80.00"),
        trader_share=Decimal("400.00"),
        status="REJECTED",
        payment_method="bank_transfer",
        requested_at=T0 + timedelta(days=10),
    )

    data = _get(client_for(alice), account)

    assert _verdicts(data)["PAYOUT_FREQUENCY"] is True


def test_it_needs_a_funded_fill_to_start_the_waiting_period(client_for, alice):
    account = funded_account(alice, at=T0)

    data = _get(client_for(alice), account)

    assert _verdicts(data)["PAYOUT_FREQUENCY"] is False
    assert data["next_eligible_at"] is None


def test_it_refuses_without_profit(client_for, alice):
    account = funded_account(alice, at=T0)
    closed_trade(account, "-250.00", at=T0 + timedelta(hours=1))

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["PROFIT"] is False
    assert data["profit"] == "-250.00"
    assert data["trader_share"] == "0.00"


def test_it_refuses_a_share_below_the_minimum_payout(client_for, alice):
    account = funded_account(alice, at=T0)
    closed_trade(account, "62.49", at=T0 + timedelta(hours=1))  # share 49.99 < 50.00

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["PROFIT"] is True
    assert _verdicts(data)["MIN_PAYOUT_AMOUNT"] is False
    assert data["trader_share"] == "49.99"


def test_it_checks_consistency_where_the_plan_has_it(client_for, alice):
    account = funded_account(alice, plan_create(consistency_pct=Decimal("40.00")), at=T0)
    closed_trade(account, "900.00", at=T0 + timedelta(hours=1))
    closed_trade(account, "100.00", at=T0 + timedelta(days=1, hours=1))

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["CONSISTENCY"] is False  # best day 90% of the profit


def test_consistency_holds_over_even_days(client_for, alice):
    account = funded_account(alice, plan_create(consistency_pct=Decimal("40.00")), at=T0)
    for day in range(3):
        closed_trade(account, "400.00", at=T0 + timedelta(days=day, hours=1))

    data = _get(client_for(alice), account)

    assert _verdicts(data)["CONSISTENCY"] is True
    assert data["eligible"] is True


def test_it_refuses_while_another_payout_is_pending(client_for, alice, account):
    Payout.objects.create(
        account=account,
        amount=Decimal("10.00"),
        profit_split=Decimal("80.00"),
        trader_share=Decimal("8.00"),
        status="PENDING",
        payment_method="bank_transfer",
        requested_at=timezone.now(),
    )

    data = _get(client_for(alice), account)

    assert data["eligible"] is False
    assert _verdicts(data)["NO_PENDING_PAYOUT"] is False


def test_another_traders_account_is_not_found(client_for, bob, account):
    response = client_for(bob).get(_url(account))

    assert response.status_code == 404
    assert response.json()["code"] == "ACCOUNT_NOT_FOUND"


def test_it_needs_authentication(api_client, account):
    assert api_client.get(_url(account)).status_code == 401
