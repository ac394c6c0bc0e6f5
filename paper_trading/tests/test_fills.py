"""The fill model by hand: bid/ask, slippage, limits, stops, brackets, commission, P&L."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.quotes import Quote
from paper_trading.services import fills

D = Decimal
CONFIG = fills.FillConfig(D("2"), D("0.005"), D("1"))
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def q(bid, ask, last="0"):
    return Quote("AAPL", D(bid), D(ask), D(last), NOW)


def test_a_market_buy_fills_at_the_ask_plus_slippage():
    assert fills.market_price(fills.BUY, q("99.98", "100.00"), CONFIG) == D("100.020000")


def test_a_market_sell_fills_at_the_bid_minus_slippage():
    assert fills.market_price(fills.SELL, q("99.98", "100.00"), CONFIG) == D("99.960004")


def test_slippage_rounds_half_even_to_six_decimals():
    # 123.45 × 1.0002 = 123.47469 exactly; 0.333333 × 1.0002 = 0.3333996666 → 0.333400
    assert fills.market_price(fills.BUY, q("123.40", "123.45"), CONFIG) == D("123.474690")
    assert fills.market_price(fills.BUY, q("0.3", "0.333333"), CONFIG) == D("0.333400")


def test_zero_slippage_fills_at_the_touch():
    config = fills.FillConfig(D("0"), D("0"), D("0"))
    assert fills.market_price(fills.BUY, q("99.98", "100.00"), config) == D("100.00")


def test_no_ask_means_no_buy_fill():
    assert fills.market_price(fills.BUY, q("99.98", "0"), CONFIG) is None


def test_a_buy_limit_fills_when_the_ask_reaches_it_and_never_above_it():
    order = {"order_type": fills.LIMIT, "side": fills.BUY, "config": CONFIG}
    assert (
        fills.order_fill(quote=q("100.05", "100.10"), limit_price=D("100"), **order).price is None
    )
    # ask 99.99 × 1.0002 = 100.009998 is above the limit: the limit caps it.
    assert fills.order_fill(quote=q("99.97", "99.99"), limit_price=D("100"), **order).price == D(
        "100"
    )
    # ask 99.50 × 1.0002 = 99.5199: better than the limit.
    assert fills.order_fill(quote=q("99.48", "99.50"), limit_price=D("100"), **order).price == D(
        "99.519900"
    )


def test_a_sell_limit_fills_when_the_bid_reaches_it_and_never_below_it():
    order = {"order_type": fills.LIMIT, "side": fills.SELL, "config": CONFIG}
    assert (
        fills.order_fill(quote=q("109.99", "110.01"), limit_price=D("110"), **order).price is None
    )
    assert fills.order_fill(quote=q("110.01", "110.03"), limit_price=D("110"), **order).price == D(
        "110"
    )


def test_a_buy_stop_triggers_when_the_ask_reaches_it_then_fills_at_market():
    order = {"order_type": fills.STOP, "side": fills.BUY, "config": CONFIG, "stop_price": D("105")}
    assert fills.order_fill(quote=q("104.90", "104.99"), **order) == fills.OrderFill(None, False)
    assert fills.order_fill(quote=q("104.98", "105.00"), **order) == fills.OrderFill(
        D("105.021000"), True
    )


def test_a_sell_stop_triggers_when_the_bid_falls_to_it():
    order = {"order_type": fills.STOP, "side": fills.SELL, "config": CONFIG, "stop_price": D("95")}
    assert fills.order_fill(quote=q("95.00", "95.02"), **order) == fills.OrderFill(
        D("94.981000"), True
    )


def test_a_stop_limit_triggers_then_waits_for_its_limit():
    order = {
        "order_type": fills.STOP_LIMIT, "side": fills.BUY, "config": CONFIG,
        "stop_price": D("105"), "limit_price": D("105.50"),
    }  # fmt: skip
    assert fills.order_fill(quote=q("105.90", "106.00"), **order) == fills.OrderFill(None, True)
    after = fills.order_fill(quote=q("105.30", "105.40"), already_triggered=True, **order)
    assert after == fills.OrderFill(D("105.421080"), True)


def test_a_long_bracket_stops_out_at_the_bid_and_takes_profit_at_the_limit_or_better():
    bracket = {"direction": fills.LONG, "config": CONFIG, "stop_loss": D("95"),
               "take_profit": D("110")}  # fmt: skip
    assert fills.bracket_exit(quote=q("100", "100.02"), **bracket) is None
    assert fills.bracket_exit(quote=q("94.50", "94.52"), **bracket) == fills.ExitFill(
        D("94.481100"), fills.STOP_LOSS
    )
    assert fills.bracket_exit(quote=q("110.00", "110.02"), **bracket) == fills.ExitFill(
        D("110"), fills.TAKE_PROFIT
    )


def test_a_short_bracket_uses_the_ask():
    bracket = {"direction": fills.SHORT, "config": CONFIG, "stop_loss": D("105"),
               "take_profit": D("90")}  # fmt: skip
    assert fills.bracket_exit(quote=q("104.98", "105.00"), **bracket) == fills.ExitFill(
        D("105.021000"), fills.STOP_LOSS
    )
    assert fills.bracket_exit(quote=q("89.00", "89.50"), **bracket) == fills.ExitFill(
        D("89.517900"), fills.TAKE_PROFIT
    )


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("10", "1.00"), ("200", "1.00"), ("201", "1.00"), ("1000", "5.00"), ("1001", "5.00"),
     ("1003", "5.02"), ("0.5", "1.00")],
)  # fmt: skip
def test_commission_is_per_share_with_a_minimum(quantity, expected):
    assert fills.commission(D(quantity), CONFIG) == D(expected)


def test_commission_can_be_zero():
    assert fills.commission(D("1000"), fills.FillConfig(D("2"), D("0"), D("0"))) == D("0.00")


def test_short_pl_is_entry_minus_exit():
    assert fills.realized_gross(
        direction=fills.SHORT, entry_price=D("99.960004"), exit_price=D("95.019000"),
        quantity=D("10"),
    ) == D("49.41")  # fmt: skip


def test_liquidation_price_is_bid_for_long_ask_for_short_else_last():
    assert fills.liquidation_price(fills.LONG, q("99", "101", "100")) == D("99")
    assert fills.liquidation_price(fills.SHORT, q("99", "101", "100")) == D("101")
    assert fills.liquidation_price(fills.LONG, q("0", "0", "100")) == D("100")
    assert fills.liquidation_price(fills.LONG, None) is None


def test_fill_config_reads_the_settings(settings):
    settings.PAPER_SLIPPAGE_BPS = "5"
    settings.PAPER_COMMISSION_PER_SHARE = "0"
    settings.PAPER_COMMISSION_MIN = "0"
    assert fills.FillConfig.from_settings() == fills.FillConfig(D("5"), D("0"), D("0"))


@pytest.mark.parametrize(
    ("total", "quantities", "shares"),
    [
        ("1.00", ["10", "5"], ["0.67", "0.33"]),  # cents(1.00 × 10/15) = 0.67, then the rest
        ("5.00", ["333", "667"], ["1.66", "3.34"]),  # cents(1.665) half-even = 1.66
        ("1.00", ["1", "1", "1"], ["0.33", "0.34", "0.33"]),  # 0.33, 0.67 − 0.33, 1.00 − 0.67
        ("1.00", ["4"], ["1.00"]),
        ("0.00", ["2", "3"], ["0.00", "0.00"]),
    ],
)
def test_one_fills_commission_is_shared_by_quantity_and_sums_exactly(total, quantities, shares):
    result = fills.commission_shares(D(total), [D(x) for x in quantities])
    assert result == [D(x) for x in shares]
    assert sum(result) == D(total)
