"""GET /api/prop-firm/payouts/ and POST /api/prop-firm/payouts/{id}/cancel/."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from prop_firm.models import AccountActivity
from prop_firm.payouts import services
from prop_firm.payouts.models import Payout
from prop_firm.payouts.testing import closed_trade, forced_client, funded_account, ledger_total

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=15)
URL = "/api/prop-firm/payouts/"


@pytest.fixture(autouse=True)
def _later():
    with time_machine.travel(LATER, tick=False):
        yield


def _funded_with_profit(user, pnl="1000.00"):
    account = funded_account(user, at=T0)
    closed_trade(account, pnl, at=T0 + timedelta(hours=1))
    return account


def _requested(user, account) -> Payout:
    return services.payout_request(
        account=account,
        user=user,
        payment_method="crypto",
        payment_details={"address": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
    )


@pytest.fixture
def payout(alice):
    return _requested(alice, _funded_with_profit(alice))


def test_it_lists_the_traders_payouts_as_a_wrapped_list(alice, payout):
    response = forced_client(alice).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [item["id"] for item in body["data"]] == [payout.pk]
    assert body["data"][0]["account_number"] == payout.account.account_number
    assert "admin_notes" not in body["data"][0]


def test_another_trader_sees_none_of_them(bob, payout):
    body = forced_client(bob).get(URL).json()

    assert body["count"] == 0
    assert body["data"] == []


def test_filtering_by_another_traders_account_is_not_found(bob, payout):
    response = forced_client(bob).get(URL, {"account_id": payout.account_id})

    assert (response.status_code, response.json()["code"]) == (404, "ACCOUNT_NOT_FOUND")


def test_it_filters_by_status_and_account(alice, payout):
    other = _requested(alice, _funded_with_profit(alice, "500.00"))
    services.payout_cancel(payout=other, user=alice)
    client = forced_client(alice)

    assert [p["id"] for p in client.get(URL, {"status": "CANCELLED"}).json()["data"]] == [other.pk]
    assert [p["id"] for p in client.get(URL, {"status": "PENDING"}).json()["data"]] == [payout.pk]
    by_account = client.get(URL, {"account_id": payout.account_id}).json()
    assert [p["id"] for p in by_account["data"]] == [payout.pk]
    assert client.get(URL, {"status": "NOPE"}).status_code == 400


def test_the_list_takes_a_fixed_number_of_queries(alice, payout, django_assert_num_queries):
    for _ in range(3):
        _requested(alice, _funded_with_profit(alice))
    client = forced_client(alice)

    with django_assert_num_queries(2):  # count, page (payouts joined to their accounts)
        response = client.get(URL)

    assert response.json()["count"] == 4


def test_the_trader_cancels_a_pending_payout_and_gets_p_back(alice, payout):
    response = forced_client(alice).post(f"{URL}{payout.pk}/cancel/")

    assert response.status_code == 200, response.json()
    assert response.json()["data"]["status"] == "CANCELLED"
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("101000.00")
    assert ledger_total(account) == account.current_balance
    reversal = account.ledger_entries.get(kind="PAYOUT_REVERSAL")
    assert reversal.amount == Decimal("1000.00")
    assert reversal.reference == f"payout:{payout.pk}"
    assert AccountActivity.objects.filter(account=account, kind="PAYOUT_CANCELLED").count() == 1
    # The marks came back with P: the account is where it was before the request.
    assert account.sod_balance == Decimal("100000.00")  # 99,000.00 while withdrawn
    assert account.equity == Decimal("101000.00")


def test_a_payout_cannot_be_cancelled_twice(alice, payout):
    client = forced_client(alice)
    assert client.post(f"{URL}{payout.pk}/cancel/").status_code == 200

    response = client.post(f"{URL}{payout.pk}/cancel/")

    assert response.status_code == 409
    assert response.json()["code"] == "PAYOUT_INVALID_STATUS"
    account = payout.account
    account.refresh_from_db()
    assert account.current_balance == Decimal("101000.00")  # credited once


def test_an_approved_payout_cannot_be_cancelled(alice, staff, payout):
    services.payout_approve(payout=payout, actor=staff)

    response = forced_client(alice).post(f"{URL}{payout.pk}/cancel/")

    assert response.status_code == 409


def test_another_trader_cannot_cancel_it(bob, payout):
    response = forced_client(bob).post(f"{URL}{payout.pk}/cancel/")

    assert response.status_code == 404
    payout.refresh_from_db()
    assert payout.status == "PENDING"
