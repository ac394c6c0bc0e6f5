"""Matching on quote updates: bracket exits, expiry, rejection at fill, and the hooks."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from paper_trading import tasks
from paper_trading.models import Trade
from paper_trading.selectors import symbols_in_use
from paper_trading.services.trades import on_quotes, orders_expire, orders_match, trade_place
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import balance, ledger_sum

D = Decimal


def long_with_bracket(account, aapl, stop_loss="95", take_profit="110", quantity="10"):
    quote("AAPL", "99.98", "100.00")
    return trade_place(
        account=account, asset=aapl, direction="LONG", quantity=D(quantity),
        stop_loss=D(stop_loss), take_profit=D(take_profit),
    )  # fmt: skip


def test_a_long_is_stopped_out_when_the_bid_falls_to_its_stop_loss(account, aapl):
    trade = long_with_bracket(account, aapl)
    for bid in ("99.00", "97.50", "95.10"):
        quote("AAPL", bid, str(D(bid) + D("0.02")))
        assert on_quotes(["AAPL"]) == 0
    quote("AAPL", "94.90", "94.92")
    assert on_quotes(["AAPL"]) == 1
    trade.refresh_from_db()
    assert (trade.status, trade.close_reason) == ("CLOSED", "STOP_LOSS")
    assert trade.exit_price == D("94.881020")  # 94.90 × 0.9998: a stop fills at market
    assert trade.realized_pl == D("-53.39")  # (94.88102 − 100.02) × 10 = −51.3898; −2.00
    assert balance(account) == D("99946.61") == ledger_sum(account)


def test_a_long_takes_profit_at_its_limit_or_better(account, aapl):
    trade = long_with_bracket(account, aapl)
    quote("AAPL", "109.99", "110.01")
    orders_match(symbols=["AAPL"])
    trade.refresh_from_db()
    assert trade.status == "OPEN"
    quote("AAPL", "110.05", "110.07")
    orders_match(symbols=["AAPL"])
    trade.refresh_from_db()
    assert (trade.status, trade.close_reason) == ("CLOSED", "TAKE_PROFIT")
    assert trade.exit_price == D("110.027990")  # 110.05 × 0.9998, above the 110 limit
    assert trade.realized_pl == D("98.08")


def test_a_short_bracket_exits_on_the_ask(account, aapl):
    quote("AAPL", "99.98", "100.00")
    trade = trade_place(account=account, asset=aapl, direction="SHORT", quantity=D("10"),
                        stop_loss=D("103"), take_profit=D("90"))  # fmt: skip
    quote("AAPL", "102.95", "102.99")
    orders_match(symbols=["AAPL"])
    trade.refresh_from_db()
    assert trade.status == "OPEN"
    quote("AAPL", "103.00", "103.02")
    orders_match(symbols=["AAPL"])
    trade.refresh_from_db()
    assert (trade.status, trade.close_reason, trade.exit_price) == (
        "CLOSED", "STOP_LOSS", D("103.040604"),
    )  # fmt: skip


def test_a_filled_limit_order_then_exits_through_its_bracket(account, aapl):
    quote("AAPL", "99.98", "100.00")
    trade = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("10"),
                        order_type="LIMIT", limit_price=D("99"), take_profit=D("101"))  # fmt: skip
    for bid, ask, status in [("98.95", "98.99", "OPEN"), ("101.00", "101.02", "CLOSED")]:
        quote("AAPL", bid, ask)
        orders_match(symbols=["AAPL"])
        trade.refresh_from_db()
        assert trade.status == status
    # entry min(98.99 × 1.0002, 99) = 99 (the limit caps it); exit max(101 × 0.9998, 101)
    assert (trade.entry_price, trade.exit_price) == (D("99"), D("101"))
    assert trade.realized_pl == D("18.00")  # (101 − 99) × 10 − 2.00


def test_stale_quotes_never_fill(account, aapl):
    trade = long_with_bracket(account, aapl)
    quote("AAPL", "90.00", "90.02", at=datetime.now(UTC) + timedelta(seconds=1))
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):
        assert orders_match() == 0
    trade.refresh_from_db()
    assert trade.status == "OPEN"


def test_a_day_order_expires_at_the_session_close(account, aapl):
    quote("AAPL", "99.98", "100.00")
    order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"),
                        order_type="LIMIT", limit_price=D("90"),
                        time_in_force="DAY")  # fmt: skip
    assert order.expires_at is not None
    assert orders_expire(now=order.expires_at - timedelta(seconds=1)) == 0
    assert orders_expire(now=order.expires_at) == 1
    order.refresh_from_db()
    assert order.status == "EXPIRED"
    assert balance(account) == D("100000.00")


def test_a_day_order_on_the_nyse_expires_at_four_pm_new_york(account, aapl, settings):
    settings.SIMULATED_MARKET_HOURS = "nyse"
    tuesday_morning = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
    with time_machine.travel(tuesday_morning, tick=False):
        quote("AAPL", "99.98", "100.00")
        order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"),
                            order_type="LIMIT", limit_price=D("90"),
                            time_in_force="DAY")  # fmt: skip
    assert order.expires_at == datetime(2026, 3, 3, 21, 0, tzinfo=UTC)


def test_matching_expires_a_day_order_rather_than_filling_it_late(account, aapl):
    quote("AAPL", "99.98", "100.00")
    order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"),
                        order_type="LIMIT", limit_price=D("90"),
                        time_in_force="DAY")  # fmt: skip
    later = order.expires_at + timedelta(minutes=1)
    quote("AAPL", "89.00", "89.02", at=later)
    orders_match(now=later)
    order.refresh_from_db()
    assert order.status == "EXPIRED"
    assert order.entry_price is None


def test_gtc_orders_do_not_expire(account, aapl):
    quote("AAPL", "99.98", "100.00")
    order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"),
                        order_type="LIMIT", limit_price=D("90"))  # fmt: skip
    assert order.expires_at is None
    assert orders_expire(now=datetime.now(UTC) + timedelta(days=30)) == 0


def test_a_resting_order_the_firm_refuses_at_fill_time_is_rejected(account, aapl):
    quote("AAPL", "99.98", "100.00")
    order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"),
                        order_type="LIMIT", limit_price=D("90"))  # fmt: skip
    type(account).objects.filter(pk=account.pk).update(status="SUSPENDED")
    quote("AAPL", "89.00", "89.02")
    assert orders_match() == 0
    order.refresh_from_db()
    assert order.status == "REJECTED"
    assert "suspended" in order.rejection_reason
    assert balance(account) == D("100000.00")


def test_the_celery_tasks_run_matching_and_expiry(account, aapl):
    quote("AAPL", "99.98", "100.00")
    order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"),
                        order_type="LIMIT", limit_price=D("99.50"))  # fmt: skip
    quote("AAPL", "99.40", "99.45")
    assert tasks.orders_match_task.delay().get() == 1
    assert tasks.orders_expire_task.delay().get() == 0
    order.refresh_from_db()
    assert order.status == "OPEN"


def test_the_symbol_source_lists_open_trades_and_pending_orders(account, aapl, btc):
    long_with_bracket(account, aapl)
    quote("BTC/USD", "60000", "60010")
    trade_place(account=account, asset=btc, direction="LONG", quantity=D("0.1"),
                order_type="LIMIT", limit_price=D("50000"))  # fmt: skip
    assert symbols_in_use() == {"AAPL", "BTC/USD"}


def test_the_quote_listener_is_registered_with_core(db):
    from core import hooks

    assert on_quotes in hooks._quote_listeners
    assert symbols_in_use in hooks._symbol_sources


@pytest.mark.parametrize("symbols", [[], ["MSFT"]])
def test_matching_other_symbols_touches_nothing(account, aapl, symbols):
    trade = long_with_bracket(account, aapl)
    quote("AAPL", "80", "80.02")
    assert orders_match(symbols=symbols) == 0
    trade.refresh_from_db()
    assert trade.status == "OPEN"
    assert Trade.objects.count() == 1


def test_a_resting_order_using_most_of_the_buying_power_still_fills(account, aapl):
    """The order being filled is no longer pending: its notional is not counted twice."""
    quote("AAPL", "169.98", "170.00")
    order = trade_place(
        account=account, asset=aapl, direction="LONG", quantity=D("600"),
        order_type="LIMIT", limit_price=D("160"),
    )  # fmt: skip
    assert order.status == "PENDING"  # 600 × 160 = 96,000 of 100,000 buying power

    quote("AAPL", "158.98", "159.00")
    assert orders_match(symbols=["AAPL"]) == 1

    order.refresh_from_db()
    assert order.status == "OPEN"
    assert order.rejection_reason == ""


def test_a_stop_loss_already_crossed_when_a_resting_order_fills_acts_in_the_same_pass(
    account, aapl
):
    quote("AAPL", "101.98", "102.00")
    order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("10"),
                        order_type="LIMIT", limit_price=D("100"), stop_loss=D("99"))  # fmt: skip
    quote("AAPL", "97.90", "97.92")  # a gap down: the limit fills and the stop is crossed

    assert orders_match(symbols=["AAPL"]) == 2

    order.refresh_from_db()
    assert (order.status, order.close_reason) == ("CLOSED", "STOP_LOSS")
    assert order.exit_price == D("97.880420")  # 97.90 × 0.9998, at once, not on a later quote
    assert balance(account) == ledger_sum(account)


def test_a_take_profit_already_crossed_when_a_stop_order_fills_acts_in_the_same_pass(account, aapl):
    quote("AAPL", "99.98", "100.00")
    order = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("10"),
                        order_type="STOP", stop_price=D("101"), take_profit=D("103"))  # fmt: skip
    quote("AAPL", "104.00", "104.02")  # a gap up through the stop and the target

    assert orders_match(symbols=["AAPL"]) == 2

    order.refresh_from_db()
    assert (order.status, order.close_reason) == ("CLOSED", "TAKE_PROFIT")


def test_a_rejected_reducing_order_leaves_no_phantom_close_in_the_running_totals(
    api, account, aapl
):
    """A resting sell of 900 against a long of 10 fills, closes the 10, and its rest is
    refused: the savepoint undoes the close. The next fill of the same matching pass must
    not book that undone close as realised profit (it feeds the consistency objective)."""
    from paper_trading.tests.helpers import place
    from prop_firm.models import PropFirmAccount

    quote("AAPL", "99.98", "100.00")
    long_10 = place(api, symbol="AAPL", side="buy", quantity="10").json()["data"]
    big = place(api, symbol="AAPL", side="sell", quantity="900", order_type="limit",
                limit_price="101").json()["data"]  # fmt: skip
    place(api, asset="AAPL", direction="SHORT", quantity="1", order_type="limit",
          limit_price="115")  # fmt: skip
    before = PropFirmAccount.objects.get(pk=account.pk)

    quote("AAPL", "120.00", "120.02")
    orders_match(symbols=["AAPL"])

    after = PropFirmAccount.objects.get(pk=account.pk)
    assert Trade.objects.get(pk=big["id"]).status == "REJECTED"
    assert Trade.objects.get(pk=long_10["id"]).status == "OPEN"
    assert (after.realized_profit, after.profit_day_pl) == (
        before.realized_profit,
        before.profit_day_pl,
    )
    assert balance(account) == ledger_sum(account)
