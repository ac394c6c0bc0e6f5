"""POST /api/prop-firm/payouts/request_payout/: P leaves the ledger at once, once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from prop_firm.models import AccountActivity, PropFirmAccount
from prop_firm.payouts.models import Payout
from prop_firm.payouts.testing import (
    closed_trade,
    connected_account,
    forced_client,
    funded_account,
    ledger_total,
)

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=15)
URL = "/api/prop-firm/payouts/request_payout/"


@pytest.fixture(autouse=True)
def _later():
    with time_machine.travel(LATER, tick=False):
        yield


@pytest.fixture
def account(alice):
    """B0 = 100,000.00; one winning trade of +1,000.00 on day one: P = 1,000.00."""
    account = funded_account(alice, at=T0)
    closed_trade(account, "1000.00", at=T0 + timedelta(hours=1))
    return account


def _request(user, account, method="bank_transfer", details=None):
    return forced_client(user).post(
        URL,
        {
            "account_id": account.pk,
            "payment_method": method,
            "payment_details": {"iban": "DE89370400440532013000"} if details is None else details,
        },
        format="json",
    )


def test_it_withdraws_the_profit_and_records_the_payout(
    alice, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(alice, account)

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["status"] == "PENDING"
    assert data["amount"] == "1000.00"
    assert data["profit_split"] == "80.00"
    assert data["trader_share"] == "800.00"
    assert data["payment_method"] == "bank_transfer"
    assert data["payment_details"] == {"iban": "DE89370400440532013000"}
    account.refresh_from_db()
    assert account.current_balance == Decimal("100000.00")  # B back to B0
    assert ledger_total(account) == account.current_balance
    entry = account.ledger_entries.get(kind="PAYOUT")
    assert entry.amount == Decimal("-1000.00")
    assert entry.balance_after == Decimal("100000.00")
    assert entry.reference == f"payout:{data['id']}"
    assert AccountActivity.objects.filter(account=account, kind="PAYOUT_REQUESTED").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "$800.00" in mail.outbox[0].body


def test_the_floors_keep_their_room_after_the_withdrawal(alice, account):
    # As after a daily reset that saw B = 101,000.00, and an intraday peak of 101,200.00.
    PropFirmAccount.objects.filter(pk=account.pk).update(
        sod_balance=Decimal("101000.00"),
        sod_equity=Decimal("101000.00"),
        eod_hwm=Decimal("101000.00"),
        peak_equity=Decimal("101200.00"),
    )

    assert _request(alice, account).status_code == 201

    account.refresh_from_db()
    # Daily floor: 101,000 − 5,000 = 96,000 with E = 101,000 before; 95,000 with E = 100,000
    # after: the room (5,000) is unchanged, a withdrawal is not a loss.
    assert account.sod_balance == Decimal("100000.00")
    assert account.sod_equity == Decimal("100000.00")
    assert account.equity == Decimal("100000.00")
    assert account.eod_hwm == Decimal("100000.00")
    assert account.peak_equity == Decimal("100200.00")
    assert account.max_loss_floor == Decimal("90000.00")  # static: B0 − 10,000


def test_a_second_request_for_the_same_profit_is_refused(alice, account):
    assert _request(alice, account).status_code == 201

    response = _request(alice, account)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "PAYOUT_NOT_ELIGIBLE"
    failing = {check["rule"] for check in body["checks"] if not check["ok"]}
    # Nothing left to withdraw, the waiting period restarted, and one payout is pending.
    assert failing == {"PROFIT", "MIN_PAYOUT_AMOUNT", "PAYOUT_FREQUENCY", "NO_PENDING_PAYOUT"}
    assert Payout.objects.count() == 1
    account.refresh_from_db()
    assert account.current_balance == Decimal("100000.00")


def test_an_ineligible_account_moves_no_money(alice, account):
    account.status = "SUSPENDED"
    account.save(update_fields=["status"])

    response = _request(alice, account)

    assert response.status_code == 409
    assert response.json()["msg"].startswith("This account is not eligible for a payout")
    assert Payout.objects.count() == 0
    account.refresh_from_db()
    assert account.current_balance == Decimal("101000.00")


def test_an_evaluation_account_is_never_paid(alice, account):
    account.stage = "EVALUATION"
    account.save(update_fields=["stage"])

    assert _request(alice, account).status_code == 409
    assert Payout.objects.count() == 0


def test_a_stripe_payout_needs_a_connected_account(alice, account):
    response = _request(alice, account, method="stripe", details={})

    assert response.status_code == 400
    assert response.json()["code"] == "STRIPE_ACCOUNT_MISSING"


def test_a_stripe_payout_with_a_connected_account_needs_no_details(alice, account):
    connected_account(alice, "acct_1Alice")

    response = _request(alice, account, method="stripe", details={})

    assert response.status_code == 201
    assert response.json()["data"]["payment_method"] == "stripe"


def test_a_stripe_payout_needs_stripe_to_have_enabled_payouts(alice, account):
    connected_account(alice, "acct_1Alice", payouts_enabled=False)

    response = _request(alice, account, method="stripe", details={})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "PAYOUT_NOT_ELIGIBLE"
    assert "Stripe has not enabled payouts on your account yet" in body["msg"]
    failing = [check["rule"] for check in body["checks"] if not check["ok"]]
    assert failing == ["STRIPE_PAYOUTS_ENABLED"]
    assert Payout.objects.count() == 0


def test_an_account_id_typed_by_hand_is_not_an_onboarded_account(alice, account):
    alice.stripe_account_id = "acct_1Typed"
    alice.save(update_fields=["stripe_account_id"])

    response = _request(alice, account, method="stripe", details={})

    assert response.status_code == 409
    assert "Set up your Stripe payout account first" in response.json()["msg"]


def test_a_manual_payout_needs_payment_details(alice, account):
    response = _request(alice, account, details={})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "payment_details": ["Tell us where to send the money (account number, wallet address...)."]
    }


def test_an_unknown_payment_method_is_refused(alice, account):
    response = _request(alice, account, method="cheque")

    assert response.status_code == 400
    assert "payment_method" in response.json()["errors"]


def test_another_traders_account_is_not_found(bob, account):
    response = _request(bob, account)

    assert response.status_code == 404
    assert Payout.objects.count() == 0
