"""The order path reads running totals, not the trade history (issue 13).

Trading days, the stage's realised profit and the best day live on the account row and are
booked in each fill's transaction; they must always equal what the history says, and an
order must cost the same number of statements on day 1 and on day 300.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.quotes import quotes_get
from prop_firm import rules
from prop_firm.services import rule_engine
from prop_firm.services.stages import account_rules
from prop_firm.tests.factories import AssetFactory, active_account, put_quote

pytestmark = pytest.mark.django_db

TOTALS = rule_engine.FILL_STATS_FIELDS


def _place(account, symbol, quantity, direction="LONG"):
    from paper_trading.services.trades import trade_place

    return trade_place(
        account=account,
        asset=AssetFactory(symbol=symbol),
        direction=direction,
        quantity=Decimal(str(quantity)),
    )


def _close(trade, quantity=None):
    from paper_trading.services.trades import trade_close

    options = {} if quantity is None else {"quantity": Decimal(str(quantity))}
    return trade_close(trade=trade, **options)


def _totals(account):
    account.refresh_from_db()
    return {name: getattr(account, name) for name in TOTALS}


def _from_history(account):
    account.refresh_from_db()
    return rule_engine.fill_stats_from_history(account)


def test_totals_booked_fill_by_fill_equal_the_history_over_several_days(alice):
    start = timezone.now().replace(hour=15, minute=0)
    with time_machine.travel(start, tick=False):
        account = active_account(alice, consistency_pct=Decimal("50"))
        put_quote("AAA", "100.00")
        first = _place(account, "AAA", 100)
        second = _place(account, "AAA", 50)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        put_quote("AAA", "110.00")
        _close(first, 40)  # a partial close: +400 less commissions
        _close(second)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        put_quote("AAA", "90.00")
        first.refresh_from_db()
        _close(first)  # a loss on a third day
    totals = _totals(account)
    assert totals == _from_history(account)
    assert totals["trading_days"] == 3
    profits = rule_engine.account_snapshot_load(account=account, quotes={}).daily_profits
    assert account.best_day_profit == max(profits.values()) > 0 > totals["profit_day_pl"]
    assert totals["realized_profit"] == sum(
        account.trades.filter(status="CLOSED").values_list("realized_pl", flat=True),
        Decimal(0),
    )


def test_the_live_snapshot_judges_like_the_whole_history(alice):
    start = timezone.now().replace(hour=15, minute=0)
    with time_machine.travel(start, tick=False):
        account = active_account(
            alice, profit_target=Decimal("300"), min_trading_days=3, consistency_pct=Decimal("60")
        )
        put_quote("AAA", "100.00")
        trade = _place(account, "AAA", 100)
        _place(account, "AAA", 10)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        put_quote("AAA", "103.00")
        _close(trade, 50)
        now = timezone.now()
        account.refresh_from_db()
        history = rule_engine.account_snapshot_load(account=account, quotes={})
        live = rule_engine.account_snapshot_live(account=account, quotes={})
        market = rule_engine.rule_quotes(quotes_get(["AAA"]))
        plan = account_rules(account)
        assert rules.evaluate(plan, live.state, market, now) == rules.evaluate(
            plan, history.state, market, now
        )
        assert live.state.days_traded == len(history.state.trading_day_keys) == 2


def test_an_order_costs_the_same_statements_after_a_long_history(alice):
    start = timezone.now().replace(hour=15, minute=0)
    with time_machine.travel(start, tick=False):
        account = active_account(alice)
        put_quote("AAA", "10.00")
        _close(_place(account, "AAA", 1))  # the day's first order takes its reset too
        with CaptureQueriesContext(connection) as fresh:
            trade = _place(account, "AAA", 1)
        _close(trade)
    for day in range(1, 40):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            put_quote("AAA", "10.00")
            _close(_place(account, "AAA", 1))
    with time_machine.travel(start + timedelta(days=40), tick=False):
        put_quote("AAA", "10.00")
        _close(_place(account, "AAA", 1))
        with CaptureQueriesContext(connection) as later:
            _place(account, "AAA", 1)
    history_reads = [
        q["sql"]
        for q in later.captured_queries
        if '"status" IN' in q["sql"] and "CLOSED" in q["sql"]
    ]
    assert history_reads == []  # nothing reads closed trades on the order path
    assert len(later.captured_queries) == len(fresh.captured_queries)
    assert _totals(account) == _from_history(account)
    assert account.trading_days == 41


def test_a_full_check_after_an_unwritten_balance_writes_both(alice):
    """The per-account check off the order path (a sweep's flag, a refresh) rebuilds the
    totals from the history; a balance the order path left unwritten on the instance is
    saved with them, not lost and not a crash."""
    from django.db import transaction

    from paper_trading.services.ledger import ledger_post
    from prop_firm.models import PropFirmAccount

    account = active_account(alice)
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        ledger_post(account=locked, kind="ADJUSTMENT", amount=Decimal("12.34"), save_account=False)
        rule_engine.account_check_locked(account=locked, now=timezone.now())
    account.refresh_from_db()
    assert account.current_balance == account.starting_balance + Decimal("12.34")
