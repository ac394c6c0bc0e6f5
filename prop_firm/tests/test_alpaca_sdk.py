"""The real alpaca-py clients against the live server (real HTTP, nothing mocked between the
SDK and our views): what a trader's unmodified bot does, and what it must be refused."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
)
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderClass, OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.models import NonTradeActivity, TradeActivity
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    GetPortfolioHistoryRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLossRequest,
    StopOrderRequest,
    TakeProfitRequest,
)
from django.utils import timezone

from paper_trading.models import Trade
from prop_firm.alpaca_api.keys import api_key_create, api_key_revoke
from prop_firm.models import AccountStatus
from prop_firm.services.lifecycle import account_fail
from prop_firm.tests.factories import AssetFactory, PlanFactory, active_account, put_quote

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _ledger_equals_balance(transactional_db):
    """After every test: each account's balance is the sum of its ledger entries."""
    yield
    from paper_trading.management.commands.check_ledger import accounts_out_of_balance

    assert list(accounts_out_of_balance()) == []


@pytest.fixture
def market(db):
    """AAPL and MSFT at 100.00 (bid = ask = last): fills are hand-computable."""
    for symbol in ("AAPL", "MSFT"):
        AssetFactory(symbol=symbol, fractionable=False, shortable=True)
        put_quote(symbol, "100.00")


@pytest.fixture
def account(alice, market):
    return active_account(alice, PlanFactory(starting_balance=Decimal("50000.00")))


@pytest.fixture
def key(account, alice):
    return api_key_create(account=account, label="bot", user=alice)


@pytest.fixture
def base_url(live_server):
    return f"{live_server.url}/alpaca"


@pytest.fixture
def trading(key, base_url):
    client = TradingClient(key.api_key.key_id, key.secret_key, url_override=base_url)
    yield client
    client._session.close()  # no keep-alive connection outlives the live server


@pytest.fixture
def data(key, base_url):
    client = StockHistoricalDataClient(key.api_key.key_id, key.secret_key, url_override=base_url)
    yield client
    client._session.close()


def buy(trading, qty, symbol="AAPL", **extra):
    return trading.submit_order(
        MarketOrderRequest(
            symbol=symbol, qty=qty, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, **extra
        )
    )


def test_the_bot_reads_its_prop_account(trading, account):
    bot_account = trading.get_account()
    assert bot_account.account_number == account.account_number
    assert bot_account.status == "ACTIVE"
    assert Decimal(bot_account.equity) == Decimal("50000.00")
    assert Decimal(bot_account.cash) == Decimal("50000.00")
    assert Decimal(bot_account.last_equity) == Decimal("50000.00")
    assert Decimal(bot_account.buying_power) == Decimal("50000.00")
    assert bot_account.multiplier == "1"
    assert bot_account.trading_blocked is False
    assert bot_account.pattern_day_trader is False
    assert isinstance(bot_account.id, uuid.UUID)
    assert trading.get_account_configurations().no_shorting is False


def test_a_market_buy_fills_and_the_web_app_sees_it(trading, account, alice, client_for):
    order = buy(trading, 10)

    assert order.status == OrderStatus.FILLED
    assert order.side == OrderSide.BUY
    assert Decimal(order.filled_avg_price) == Decimal("100")
    assert Decimal(order.filled_qty) == 10
    trades = client_for(alice).get("/api/paper-trading/trades/").json()["data"]
    assert [(t["client_order_id"], t["status"]) for t in trades] == [
        (order.client_order_id, "OPEN")
    ]
    # The same fill, the same ledger: 10 shares at 100, commission $1 (the minimum).
    bot_account = trading.get_account()
    assert Decimal(bot_account.cash) == Decimal("49999.00")
    assert Decimal(bot_account.long_market_value) == Decimal("1000.00")
    assert Decimal(bot_account.buying_power) == Decimal("48999.00")


def test_positions_are_net_per_symbol_with_their_valuation(trading, account):
    buy(trading, 10)
    put_quote("AAPL", "101.00")

    [position] = trading.get_all_positions()
    assert (position.symbol, position.qty, position.side) == ("AAPL", "10", "long")
    assert Decimal(position.avg_entry_price) == Decimal("100")
    assert Decimal(position.market_value) == Decimal("1010.00")
    assert Decimal(position.cost_basis) == Decimal("1000.00")
    # market value − cost basis, as at Alpaca: the commission is already out of the cash.
    assert Decimal(position.unrealized_pl) == Decimal("10.00")
    assert trading.get_open_position("AAPL").qty == "10"


def test_limit_order_rests_is_replaced_then_cancelled(trading, account):
    order = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=5, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, limit_price=90
        )
    )
    assert order.status == OrderStatus.NEW
    assert [o.id for o in trading.get_orders()] == [order.id]

    replaced = trading.replace_order_by_id(order.id, ReplaceOrderRequest(limit_price=95))
    assert (replaced.id, Decimal(replaced.limit_price)) == (order.id, Decimal("95"))

    trading.cancel_order_by_id(order.id)
    assert trading.get_order_by_id(order.id).status == OrderStatus.CANCELED
    assert trading.get_orders() == []
    closed = trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))
    assert [o.id for o in closed] == [order.id]


def test_a_limit_order_the_quote_crosses_fills_at_once(trading, account):
    order = trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=2, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, limit_price=105
        )
    )
    assert order.status == OrderStatus.FILLED
    assert Decimal(order.filled_avg_price) == Decimal("100")


def test_stop_order_rests_until_triggered(trading, account):
    order = trading.submit_order(
        StopOrderRequest(
            symbol="AAPL", qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, stop_price=110
        )
    )
    assert (order.status, order.order_type, Decimal(order.stop_price)) == (
        OrderStatus.NEW,
        "stop",
        Decimal("110"),
    )
    assert Trade.objects.get(uuid=order.id).status == "PENDING"


def test_bracket_order_fills_with_its_exits_as_legs(trading, account):
    order = buy(
        trading,
        10,
        order_class=OrderClass.BRACKET,
        take_profit=TakeProfitRequest(limit_price=120),
        stop_loss=StopLossRequest(stop_price=90),
    )
    assert (order.status, order.order_class) == (OrderStatus.FILLED, OrderClass.BRACKET)
    legs = {leg.order_type: leg for leg in order.legs}
    assert Decimal(legs["limit"].limit_price) == Decimal("120")
    assert Decimal(legs["stop"].stop_price) == Decimal("90")
    assert {leg.status for leg in order.legs} == {OrderStatus.NEW}
    trade = Trade.objects.get(uuid=order.id)
    assert (trade.take_profit, trade.stop_loss) == (Decimal("120"), Decimal("90"))


def test_a_retried_client_order_id_gives_the_same_order(trading, account):
    first = buy(trading, 4, client_order_id="bot-42")
    again = buy(trading, 4, client_order_id="bot-42")

    assert again.id == first.id
    assert Trade.objects.filter(account=account).count() == 1
    assert trading.get_order_by_client_id("bot-42").id == first.id


def test_closing_a_position_partly_then_fully(trading, account):
    buy(trading, 10)

    partial = trading.close_position("AAPL", ClosePositionRequest(qty="4"))
    assert (partial.side, partial.qty, partial.status) == (OrderSide.SELL, "4", OrderStatus.FILLED)
    assert trading.get_open_position("AAPL").qty == "6"
    assert trading.get_order_by_id(partial.id).id == partial.id

    half = trading.close_position("AAPL", ClosePositionRequest(percentage="50"))
    assert half.qty == "3"
    assert trading.get_open_position("AAPL").qty == "3"

    rest = trading.close_position("AAPL")
    assert rest.qty == "3"
    assert trading.get_all_positions() == []
    with pytest.raises(APIError) as missing:
        trading.get_open_position("AAPL")
    assert missing.value.status_code == 404


def test_a_sell_beyond_the_long_opens_a_short(trading, account):
    buy(trading, 2)
    trading.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=5, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
    )
    position = trading.get_open_position("AAPL")
    assert (position.side, position.qty) == ("short", "-3")


def test_close_all_positions_and_cancel_all_orders(trading, account):
    buy(trading, 2)
    buy(trading, 3, symbol="MSFT")
    trading.submit_order(
        LimitOrderRequest(
            symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC, limit_price=50
        )
    )
    cancelled = trading.cancel_orders()
    assert [c.status for c in cancelled] == [200]

    closed = trading.close_all_positions()
    assert sorted((c.symbol, c.status) for c in closed) == [("AAPL", 200), ("MSFT", 200)]
    assert trading.get_all_positions() == []


def test_an_order_beyond_buying_power_is_a_403_with_the_firms_sentence(trading, account):
    buy(trading, 400)  # 40,000 of 50,000

    with pytest.raises(APIError) as refused:
        buy(trading, 200, symbol="MSFT")
    assert refused.value.status_code == 403
    assert refused.value.code == 40310000
    assert "insufficient buying power" in refused.value.message
    assert "BUYING_POWER" in refused.value.message
    assert Trade.objects.filter(account=account).count() == 1


def test_an_invalid_order_is_a_422(trading, account):
    with pytest.raises(APIError) as refused:
        buy(trading, 1, symbol="NOPE")
    assert refused.value.status_code == 422
    assert "UNKNOWN_SYMBOL" in refused.value.message


def test_a_revoked_key_is_refused(trading, key, alice):
    api_key_revoke(api_key=key.api_key, user=alice)

    with pytest.raises(APIError) as refused:
        trading.get_account()
    assert refused.value.status_code == 401
    assert refused.value.code == 40110000


def test_a_failed_accounts_key_reads_but_cannot_order(trading, account):
    account_fail(account=account, reason="Daily loss limit breached.")

    bot_account = trading.get_account()
    assert bot_account.trading_blocked is True
    with pytest.raises(APIError) as refused:
        buy(trading, 1)
    assert refused.value.status_code == 403
    assert "ACCOUNT_NOT_TRADABLE" in refused.value.message
    account.refresh_from_db()
    assert account.status == AccountStatus.FAILED
    assert not Trade.objects.filter(account=account).exists()


def test_bars_and_latest_quotes_parse(data, market):
    start = timezone.now() - timedelta(days=3)
    bars = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["AAPL", "MSFT"], timeframe=TimeFrame.Hour, start=start)
    )
    assert len(bars["AAPL"]) >= 60  # the simulated market is open around the clock
    assert bars["AAPL"][0].timestamp < bars["AAPL"][-1].timestamp
    assert set(bars.data) == {"AAPL", "MSFT"}

    quotes = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["AAPL"]))
    assert quotes["AAPL"].ask_price > 0
    trades = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="MSFT"))
    assert trades["MSFT"].price > 0
    snapshot = data.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols="AAPL"))
    assert snapshot["AAPL"].daily_bar is not None


def test_bars_are_paginated_with_next_page_token(data, market):
    start = timezone.now() - timedelta(days=3)
    every = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Hour, start=start)
    )
    # The SDK follows next_page_token until `limit` bars are read.
    paged = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Hour, start=start, limit=25)
    )
    assert [b.timestamp for b in paged["AAPL"]] == [b.timestamp for b in every["AAPL"][:25]]


def test_clock_calendar_assets_history_and_activities_parse(trading, key, base_url, account):
    buy(trading, 1)
    clock = trading.get_clock()
    assert clock.next_close > clock.timestamp
    sessions = trading.get_calendar(GetCalendarRequest(start="2026-11-23", end="2026-11-27"))
    assert sessions[0].date.isoformat() == "2026-11-23"
    assert all(s.open < s.close for s in sessions)
    assert trading.get_asset("AAPL").symbol == "AAPL"
    assert {a.symbol for a in trading.get_all_assets()} >= {"AAPL", "MSFT"}
    history = trading.get_portfolio_history(GetPortfolioHistoryRequest(timeframe="1D"))
    assert history.base_value == 50000.0

    headers = {"APCA-API-KEY-ID": key.api_key.key_id, "APCA-API-SECRET-KEY": key.secret_key}
    activities = requests.get(f"{base_url}/v2/account/activities", headers=headers, timeout=10)
    parsed = [
        TradeActivity(**a) if a["activity_type"] == "FILL" else NonTradeActivity(**a)
        for a in activities.json()
    ]
    assert {type(a).__name__ for a in parsed} == {"TradeActivity", "NonTradeActivity"}
