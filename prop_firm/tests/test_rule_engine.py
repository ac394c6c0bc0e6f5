"""Post-trade rules, the per-account path and the ops API, hand-computed to the cent.

Plan: the seed's $50K Challenge (B0 50,000; daily loss 2,500 → F_d = SOD_B − 2,500;
max loss 5,000 static → F_t = 45,000). Fills at the quote, commission max($0.005/sh, $1).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from prop_firm.models import PropFirmAccount, RuleViolation
from prop_firm.services.rule_engine import RuleEngine, account_check
from prop_firm.services.trading_rules import TradeRejected, check_order
from prop_firm.tests.factories import (
    AssetFactory,
    PhaseFactory,
    PlanFactory,
    active_account,
    ledger_total,
    open_position,
    put_quote,
)

pytestmark = pytest.mark.django_db


def _place(account, symbol, quantity, direction="LONG"):
    from paper_trading.services.trades import trade_place

    return trade_place(
        account=account,
        asset=AssetFactory(symbol=symbol),
        direction=direction,
        quantity=Decimal(str(quantity)),
    )


def _close(trade):
    from paper_trading.services.trades import trade_close

    return trade_close(trade=trade)


def test_a_fill_that_breaks_the_daily_floor_liquidates_everything_at_once(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    account = active_account(alice)
    open_position(account, "AAA", 100, "400.00")
    put_quote("AAA", "376.00", "376.20")  # U = −2,400: E = 47,600, above F_d = 47,500
    put_quote("BBB", "99.00", "101.00")
    with django_capture_on_commit_callbacks(execute=True):
        # Buy 50 BBB at 101: commission 1, marked at the bid 99: U_BBB = −100.
        # E = 50,000 − 1 − 2,400 − 100 = 47,499 < 47,500.
        placed = _place(account, "BBB", 50)
    # The order answers with what the liquidation left of its trade, not the fill.
    assert (placed.status, placed.exit_price, placed.close_reason) == (
        "CLOSED",
        Decimal("99.00"),
        "LIQUIDATION",
    )
    account.refresh_from_db()
    violation = RuleViolation.objects.get(account=account)
    assert violation.violation_type == "DAILY_LOSS"
    assert violation.threshold_value == Decimal("47500.00")
    assert violation.actual_value == Decimal("47499.00")
    assert {k: Decimal(v) for k, v in violation.prices.items()} == {
        "AAA": Decimal("376"),
        "BBB": Decimal("99"),
    }
    assert account.status == "FAILED"
    assert "daily loss floor" in account.failure_reason
    assert not account.trades.filter(status__in=["OPEN", "PENDING"]).exists()
    # Closed at the bids: −2,400 and −100, two exit commissions of $1.
    assert account.current_balance == Decimal("47497.00") == ledger_total(account)
    assert (account.equity, account.unrealized_pl) == (Decimal("47497.00"), 0)
    assert account.activities.filter(kind="FAILED").count() == 1
    breach_mail = [m for m in mailoutbox if "failed" in m.subject]
    assert len(breach_mail) == 1
    assert "47500.00" in breach_mail[0].body and "47499.00" in breach_mail[0].body


def test_checking_a_failed_account_again_records_nothing(alice):
    account = active_account(alice)
    open_position(account, "AAA", 100, "400.00")
    put_quote("AAA", "340.00")  # E = 44,000: both floors broken
    violations = RuleEngine(account).check_all_rules()
    assert sorted(v.violation_type for v in violations) == ["DAILY_LOSS", "TOTAL_LOSS"]
    assert RuleEngine(account).check_all_rules() == []
    assert RuleViolation.objects.filter(account=account).count() == 2
    assert account.activities.filter(kind="FAILED").count() == 1


def test_stale_quotes_never_fail_an_account(alice):
    account = active_account(alice)
    open_position(account, "AAA", 100, "400.00")
    put_quote("AAA", "300.00", at=timezone.now() - timedelta(seconds=61))
    result = account_check(account=account)
    assert result.evaluation.stale
    assert result.violations == []
    account.refresh_from_db()
    assert account.status == "ACTIVE"
    # A fresh quote is judged at once.
    put_quote("AAA", "300.00")
    assert [v.violation_type for v in account_check(account=account).violations] == [
        "DAILY_LOSS",
        "TOTAL_LOSS",
    ]


def test_update_balance_marks_without_acting(alice):
    account = active_account(alice)
    open_position(account, "AAA", 10, "100.00")
    put_quote("AAA", "110.00", "110.50")
    evaluation = account.update_balance()
    assert evaluation.equity == Decimal("50100.00")
    account.refresh_from_db()
    assert (account.equity, account.unrealized_pl) == (Decimal("50100.00"), Decimal("100.00"))
    assert account.peak_equity == Decimal("50100.00")
    assert account.check_rules() == []


def test_passing_phase_one_opens_phase_two_then_funded(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    plan = PlanFactory(profit_target=Decimal("1000"), min_trading_days=1)
    PhaseFactory(plan=plan, number=2, profit_target=Decimal("500"), min_trading_days=1)
    account = active_account(alice, plan=plan)
    put_quote("AAA", "100.00")
    trade = _place(account, "AAA", 100)  # commission 1
    put_quote("AAA", "111.00")
    with django_capture_on_commit_callbacks(execute=True):
        _close(trade)  # +1,100 gross, commission 1: B = 51,098
    account.refresh_from_db()
    assert account.status == "PASSED" and account.passed_at
    assert account.current_balance == Decimal("51098.00") == ledger_total(account)
    assert account.trading_days == 1
    phase_two = account.next_account
    assert (phase_two.status, phase_two.stage, phase_two.phase) == ("ACTIVE", "EVALUATION", 2)
    assert phase_two.user == alice and phase_two.previous_account == account
    assert phase_two.current_balance == Decimal("50000.00") == ledger_total(phase_two)
    assert phase_two.ledger_entries.get().kind == "DEPOSIT"
    assert phase_two.payment_completed_at == account.payment_completed_at
    assert any(phase_two.account_number in m.body for m in mailoutbox)

    put_quote("AAA", "100.00")
    trade = _place(phase_two, "AAA", 100)
    put_quote("AAA", "106.00")
    _close(trade)  # +600 − 2 = 598 ≥ 500
    phase_two.refresh_from_db()
    assert phase_two.status == "PASSED"
    funded = phase_two.next_account
    assert (funded.status, funded.stage) == ("ACTIVE", "FUNDED")
    assert funded.current_balance == Decimal("50000.00")
    # Passing again changes nothing: the stage is continued once.
    assert account_check(account=phase_two).next_account is None
    assert PropFirmAccount.objects.filter(user=alice).count() == 3


def test_passing_a_stage_cancels_its_resting_orders(alice):
    from paper_trading.models import Trade
    from paper_trading.services.trades import trade_place

    account = active_account(alice, profit_target=Decimal("1000"), min_trading_days=1)
    put_quote("AAA", "100.00")
    trade = _place(account, "AAA", 100)
    resting = trade_place(
        account=account, asset=trade.asset, direction="LONG", quantity=Decimal("1"),
        order_type="LIMIT", limit_price=Decimal("50.00"),
    )  # fmt: skip
    put_quote("AAA", "111.00")

    _close(trade)

    account.refresh_from_db()
    assert account.status == "PASSED"
    resting = Trade.objects.get(pk=resting.pk)
    assert (resting.status, resting.rejection_reason) == (
        "CANCELLED",
        "Cancelled: the stage was passed.",
    )


def test_profit_target_needs_the_minimum_trading_days(alice):
    account = active_account(alice, profit_target=Decimal("1000"), min_trading_days=2)
    put_quote("AAA", "100.00")
    trade = _place(account, "AAA", 100)
    put_quote("AAA", "120.00")
    _close(trade)
    account.refresh_from_db()
    assert account.status == "ACTIVE"
    assert account.trading_days == 1


def test_entry_and_exit_fills_on_two_days_are_two_trading_days(alice):
    start = timezone.now().replace(hour=15, minute=0)  # 10:00 or 11:00 in New York
    with time_machine.travel(start, tick=False):
        account = active_account(alice, profit_target=Decimal("1000"), min_trading_days=2)
        put_quote("AAA", "100.00")
        trade = _place(account, "AAA", 100)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        put_quote("AAA", "120.00")
        _close(trade)
    account.refresh_from_db()
    assert account.trading_days == 2
    assert account.status == "PASSED"


def test_warning_is_written_once_per_rule_per_day(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(hour=15, minute=0)
    with time_machine.travel(start, tick=False):
        account = active_account(alice)
        open_position(account, "AAA", 100, "400.00")
        put_quote("AAA", "379.00")  # daily room used: 2,100 / 2,500 = 84%
        with django_capture_on_commit_callbacks(execute=True):
            assert account_check(account=account).warnings == ["DAILY_LOSS"]
            assert account_check(account=account).warnings == []
        warning = account.activities.get(kind="WARNING")
        assert warning.after["rule"] == "DAILY_LOSS" and warning.after["used_pct"] == "84.00"
        assert len([m for m in mailoutbox if "84.00%" in m.subject]) == 1
    with time_machine.travel(start + timedelta(days=1), tick=False):
        put_quote("AAA", "379.00")
        assert account_check(account=account).warnings == ["DAILY_LOSS"]
    assert account.activities.filter(kind="WARNING").count() == 2


def test_inactivity_fails_the_account(alice):
    account = active_account(alice)
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        violations = account_check(account=account).violations
    assert [v.violation_type for v in violations] == ["INACTIVITY"]
    account.refresh_from_db()
    assert account.status == "FAILED"


# --- pre-trade soft rules ------------------------------------------------------------


def _check(account, symbol, quantity, price, direction="LONG", reduces=False, **asset):
    check_order(
        account=account,
        asset=AssetFactory(symbol=symbol, **asset),
        direction=direction,
        quantity=Decimal(str(quantity)),
        price=Decimal(str(price)),
        reduces_position=reduces,
    )


def test_order_within_the_rules_passes(alice):
    account = active_account(alice)
    put_quote("AAA", "100.00")
    _check(account, "AAA", 500, "100.00")  # 50,000 = 100% of E


def test_position_size_rejection(alice):
    account = active_account(alice, max_position_size=Decimal("20"))
    put_quote("AAA", "100.00")
    open_position(account, "AAA", 50, "100.00")
    with pytest.raises(TradeRejected) as error:
        _check(account, "AAA", 51, "100.00")  # 101 × 100 = 10,100 > 20% of 50,000
    assert (error.value.code, error.value.status_code) == ("POSITION_SIZE", 400)


def test_buying_power_rejection(alice):
    account = active_account(alice)
    put_quote("AAA", "100.00")
    put_quote("BBB", "100.00")
    open_position(account, "AAA", 400, "100.00")
    with pytest.raises(TradeRejected) as error:
        _check(account, "BBB", 101, "100.00")  # 40,000 + 10,100 > 1.0 × 50,000
    assert error.value.code == "BUYING_POWER"


def test_a_reducing_order_is_never_rejected_by_size(alice):
    account = active_account(alice, max_position_size=Decimal("20"))
    put_quote("AAA", "100.00")
    open_position(account, "AAA", 400, "100.00")
    _check(account, "AAA", 400, "100.00", direction="SHORT", reduces=True)


def test_account_not_tradable_rejection(alice):
    account = active_account(alice)
    account.status = "SUSPENDED"
    with pytest.raises(TradeRejected) as error:
        _check(account, "AAA", 1, "100.00")
    assert (error.value.code, error.value.status_code) == ("ACCOUNT_NOT_TRADABLE", 409)


def test_short_of_a_non_shortable_asset_is_rejected(alice):
    account = active_account(alice)
    put_quote("NOSH", "10.00")
    with pytest.raises(TradeRejected) as error:
        _check(account, "NOSH", 1, "10.00", direction="SHORT", shortable=False)
    assert error.value.code == "SHORT_NOT_ALLOWED"


def test_editing_a_plans_starting_balance_never_moves_a_running_accounts_floors(alice):
    from prop_firm.models import PropFirmPlan
    from prop_firm.services.rule_engine import sweep

    account = active_account(alice)  # B0 = 50,000: F_t = 45,000
    PropFirmPlan.objects.filter(pk=account.plan_id).update(starting_balance=Decimal("100000"))
    account.refresh_from_db()

    assert account.check_rules() == []
    sweep()
    evaluation = account.update_balance()

    account.refresh_from_db()
    assert account.status == "ACTIVE"
    assert evaluation.max_loss_floor == Decimal("45000.00")


def test_a_resting_order_whose_fill_breaches_is_liquidated_not_exited_through_its_bracket(alice):
    """The fill's after-fill step fails the account and liquidates; the stop-loss the same
    quote crosses must not close the liquidated trade a second time."""
    from paper_trading.models import Trade
    from paper_trading.services.trades import orders_match, trade_place

    account = active_account(alice)
    open_position(account, "AAA", 100, "400.00")
    put_quote("AAA", "376.00", "376.20")  # U = −2,400: E = 47,600, above F_d = 47,500
    put_quote("BBB", "101.50", "102.00")
    resting = trade_place(
        account=account, asset=AssetFactory(symbol="BBB"), direction="LONG",
        quantity=Decimal("60"), order_type="LIMIT", limit_price=Decimal("101"),
        stop_loss=Decimal("99.50"),
    )  # fmt: skip
    assert resting.status == "PENDING"
    # The ask falls through the limit and the bid through the stop at once: filled at 100.90,
    # marked at 99: U_BBB = −114, commission 1, E = 47,485 < 47,500.
    put_quote("BBB", "99.00", "100.90")
    assert orders_match(symbols=["BBB"]) == 1
    account.refresh_from_db()
    assert account.status == "FAILED"
    filled = Trade.objects.get(pk=resting.pk)
    assert (filled.status, filled.close_reason) == ("CLOSED", "LIQUIDATION")
    assert account.current_balance == ledger_total(account)
