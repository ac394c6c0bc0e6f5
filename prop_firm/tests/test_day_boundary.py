"""The day boundary (RULES.md "The trading day", issue 12 items 10-12): every mark, floor and
verdict comes out the same whether the reset task runs at 17:00:00 or later."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from prop_firm.models import PropFirmAccount
from prop_firm.payouts import services as payouts
from prop_firm.payouts.testing import closed_trade, funded_account, plan_create
from prop_firm.services.rule_engine import daily_reset, sweep
from prop_firm.tests.factories import AssetFactory, active_account, open_position, put_quote

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=NY)
D = Decimal


def at(hour, minute=0, second=0, day=MONDAY):
    return day.replace(hour=hour, minute=minute, second=second)


def _place(user, account, symbol, quantity, side="buy"):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client.post(
        "/api/paper-trading/trades/",
        {"account_id": account.pk, "symbol": symbol, "side": side, "quantity": str(quantity)},
        format="json",
    )


def _detail(user, account):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client.get(f"/api/prop-firm/accounts/{account.pk}/").json()


# --- item 10: SOD_E is the equity at the reset, not the last stored mark --------------------


def _bought_and_marked_high(alice):
    """B0 100,000. Buy 1,000 at 100 (commission 5.00); a sweep at 16:00 marks it at 110;
    the price is 101 from 16:59:30. The equity at 17:00 is 99,995 + 1,000 = 100,995."""
    plan_fields = {
        "starting_balance": D("100000.00"),
        "max_daily_loss": D("5000.00"),
        "max_total_loss": D("10000.00"),
        "profit_target": D("10000.00"),
        "daily_loss_basis": "balance_or_equity",
    }
    with time_machine.travel(at(10), tick=False):
        account = active_account(alice, **plan_fields)
        AssetFactory(symbol="AAA")
        put_quote("AAA", "100.00")
        assert _place(alice, account, "AAA", 1000).status_code == 201
    with time_machine.travel(at(16), tick=False):
        put_quote("AAA", "110.00")
        sweep()
    with time_machine.travel(at(16, 59, 30), tick=False):
        put_quote("AAA", "101.00")
    return account


def test_the_reset_values_the_positions_with_the_quotes_of_the_reset(alice):
    account = _bought_and_marked_high(alice)

    with time_machine.travel(at(17, 0, 5), tick=False):
        daily_reset()

    account.refresh_from_db()
    assert account.sod_balance == D("99995.00")
    assert account.sod_equity == D("100995.00")  # not the 16:00 mark, 109,995


def test_a_balance_or_equity_account_is_not_failed_by_an_old_mark(alice):
    account = _bought_and_marked_high(alice)

    with time_machine.travel(at(17, 0, 5), tick=False):
        daily_reset()
        sweep()

    account.refresh_from_db()
    assert account.status == "ACTIVE"
    assert account.equity == D("100995.00")


def test_the_sweep_that_takes_the_snapshot_values_at_the_reset_too(alice):
    account = _bought_and_marked_high(alice)

    with time_machine.travel(at(17, 0, 5), tick=False):
        sweep()  # before the reset task: the sweep takes the snapshot

    account.refresh_from_db()
    assert (account.status, account.sod_equity) == ("ACTIVE", D("100995.00"))


# --- item 11: a credit-back between 17:00 and a late reset ----------------------------------


T0 = datetime(2026, 11, 2, 10, 0, tzinfo=NY)
PAYOUT_DAY = datetime(2026, 11, 23, 12, 0, tzinfo=NY)


def _payout_rejected_at_17_30(user, *, reset_at):
    """Trailing EOD, B0 100,000. +598 realised before Sunday's reset (EOD_HWM 100,598),
    +598 on Monday morning; Monday noon a payout of 1,196 (EOD_HWM moves 598, down to B0),
    rejected at 17:30. The reset task runs at `reset_at`."""
    plan = plan_create(drawdown_mode="trailing_eod", drawdown_lock_at_start=False)
    with time_machine.travel(T0, tick=False):
        account = funded_account(user, plan=plan)
        closed_trade(account, "598.00")
    with time_machine.travel(at(17, 0, 10, day=PAYOUT_DAY - timedelta(days=1)), tick=False):
        daily_reset()
    with time_machine.travel(at(9, 30, day=PAYOUT_DAY), tick=False):
        closed_trade(account, "598.00")
    with time_machine.travel(PAYOUT_DAY, tick=False):
        payout = payouts.payout_request(
            account=account, user=user, payment_method="crypto", payment_details={"a": "b"}
        )
    assert payout.amount == D("1196.00")
    with time_machine.travel(at(17, 0, 0, day=PAYOUT_DAY), tick=False):
        if reset_at == "on time":
            daily_reset()
    with time_machine.travel(at(17, 30, day=PAYOUT_DAY), tick=False):
        payouts.payout_reject(payout=payout, reason="Details do not match.", actor=None)
    with time_machine.travel(at(18, 30, day=PAYOUT_DAY), tick=False):
        daily_reset()
    return PropFirmAccount.objects.get(pk=account.pk)


MARKS = ("sod_balance", "sod_equity", "eod_hwm", "peak_equity", "max_loss_floor", "equity")


def test_a_payout_rejected_before_a_late_reset_leaves_the_marks_of_an_on_time_reset(alice, bob):
    on_time = _payout_rejected_at_17_30(alice, reset_at="on time")
    late = _payout_rejected_at_17_30(bob, reset_at="late")

    assert on_time.eod_hwm == D("100598.00")
    assert {m: getattr(late, m) for m in MARKS} == {m: getattr(on_time, m) for m in MARKS}


# --- item 12: between 17:00 and the first sweep -----------------------------------------------


def _losing_monday_then_a_loss_after_17(alice):
    """Monday: B falls to 47,980.40 (floor 47,500). At 17:00:30 a position held since 16:00
    loses 610: E 47,370.40, below Monday's floor, above the new day's 45,480.40."""
    with time_machine.travel(at(12), tick=False):
        account = active_account(alice)
        closed_trade(account, "-2019.60")
    with time_machine.travel(at(16), tick=False):
        open_position(account, "AAA", 100, "100.00")
        put_quote("AAA", "100.00")
    put_quote("AAA", "93.90", at=at(17, 0, 30))
    return account


def test_the_account_detail_shows_the_new_days_floor_before_any_sweep(alice):
    account = _losing_monday_then_a_loss_after_17(alice)

    with time_machine.travel(at(17, 0, 30), tick=False):
        body = _detail(alice, account)

    data = body.get("data", body)
    assert data["start_of_day_balance"] == "47980.40"
    assert data["daily_loss_floor"] == "45480.40"
    assert data["can_trade"] is True
    account.refresh_from_db()
    assert account.sod_day < datetime(2026, 11, 24).date()  # a read wrote nothing


def test_an_order_after_17_is_judged_against_the_new_days_floor(alice):
    account = _losing_monday_then_a_loss_after_17(alice)
    AssetFactory(symbol="BBB")
    put_quote("BBB", "10.00", at=at(17, 0, 30))

    with time_machine.travel(at(17, 0, 30), tick=False):
        response = _place(alice, account, "BBB", 10)

    assert response.status_code == 201, response.json()
    account.refresh_from_db()
    assert (account.status, account.sod_balance) == ("ACTIVE", D("47980.40"))
