"""POST /api/paper-trading/trades/: every order type through its fill, and the ledger."""

from decimal import Decimal

import pytest

from paper_trading.models import Trade
from paper_trading.services.trades import orders_match
from paper_trading.tests.factories import AccountFactory, quote
from paper_trading.tests.helpers import balance, entries, ledger_sum, place

D = Decimal


@pytest.fixture
def quoted(aapl):
    quote("AAPL", "99.98", "100.00")
    return aapl


def test_a_market_buy_fills_at_the_ask_plus_slippage_and_posts_the_commission(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="10", order_type="market")
    assert r.status_code == 201, r.json()
    trade = r.json()["data"]
    assert r.json()["msg"] == "Order filled."
    assert (trade["status"], trade["direction"]) == ("OPEN", "LONG")
    assert trade["entry_price"] == "100.020000"  # 100.00 × 1.0002
    assert trade["entry_cost"] == "1000.20"
    assert trade["commission"] == "1.00"  # 10 × 0.005 = 0.05, minimum 1.00
    assert trade["current_price"] == "99.980000"  # the bid: a long is valued at the bid
    # (99.98 − 100.02) × 10: the commission is already in the balance, not counted again
    assert trade["unrealized_pl"] == "-0.40"
    assert trade["entry_time"] == trade["entry_at"]
    assert trade["account_number"] == account.account_number
    assert entries(account) == [("COMMISSION", D("-1.00"))]
    assert balance(account) == D("99999.00") == ledger_sum(account)


def test_a_market_sell_opens_a_short_at_the_bid_minus_slippage(api, account, quoted):
    r = place(api, symbol="AAPL", side="sell", quantity="1000")
    trade = r.json()["data"]
    assert (trade["direction"], trade["entry_price"]) == ("SHORT", "99.960004")
    assert trade["commission"] == "5.00"  # 1000 × 0.005
    assert balance(account) == D("99995.00")


def test_the_web_app_shape_is_accepted_and_its_entry_price_ignored(api, account, quoted):
    r = place(
        api, asset="AAPL", direction="LONG", quantity="5", entry_price="1.00",
        stop_loss="90", take_profit="120", notes="breakout",
    )  # fmt: skip
    trade = r.json()["data"]
    assert r.status_code == 201
    assert trade["entry_price"] == "100.020000"
    assert (trade["stop_loss"], trade["take_profit"], trade["target_price"]) == (
        "90.000000", "120.000000", "120.000000",
    )  # fmt: skip
    assert trade["notes"] == "breakout"


def test_the_asset_may_be_sent_by_id(api, account, quoted):
    r = place(api, asset=str(quoted.pk), direction="long", quantity="1")
    assert r.json()["data"]["asset_symbol"] == "AAPL"


def test_without_account_id_the_latest_active_account_trades(api, alice, account, quoted):
    newer = AccountFactory(user=alice)
    AccountFactory(user=alice, status="FAILED")
    r = place(api, symbol="AAPL", side="buy", quantity="1")
    assert r.json()["data"]["account"] == newer.pk


def test_an_explicit_account_id_is_used(api, alice, account, quoted):
    AccountFactory(user=alice)
    r = place(api, account_id=account.pk, symbol="AAPL", side="buy", quantity="1")
    assert r.json()["data"]["account"] == account.pk


def test_a_limit_buy_rests_until_the_ask_reaches_the_limit(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="10", order_type="limit",
              limit_price="99.50")  # fmt: skip
    trade = r.json()["data"]
    assert (r.status_code, trade["status"], r.json()["msg"]) == (201, "PENDING", "Order placed.")
    assert balance(account) == D("100000.00")

    quote("AAPL", "99.55", "99.60")
    assert orders_match(symbols=["AAPL"]) == 0
    quote("AAPL", "99.40", "99.45")
    assert orders_match(symbols=["AAPL"]) == 1
    filled = Trade.objects.get(pk=trade["id"])
    assert filled.status == "OPEN"
    assert filled.entry_price == D("99.469890")  # 99.45 × 1.0002, better than the limit
    assert balance(account) == D("99999.00") == ledger_sum(account)


def test_a_marketable_limit_fills_at_once_at_the_limit_or_better(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="10", order_type="LIMIT",
              limit_price="100.01")  # fmt: skip
    trade = r.json()["data"]
    assert trade["status"] == "OPEN"
    assert trade["entry_price"] == "100.010000"  # 100.02 would be above the limit


def test_a_limit_sell_short_fills_when_the_bid_rises_to_it(api, account, quoted):
    r = place(api, symbol="AAPL", side="sell", quantity="10", order_type="limit",
              limit_price="101")  # fmt: skip
    quote("AAPL", "101.20", "101.25")
    orders_match(symbols=["AAPL"])
    trade = Trade.objects.get(pk=r.json()["data"]["id"])
    assert (trade.status, trade.direction, trade.entry_price) == ("OPEN", "SHORT", D("101.179760"))


def test_a_stop_buy_triggers_at_the_stop_and_fills_at_market(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="10", order_type="stop",
              stop_price="102")  # fmt: skip
    assert r.json()["data"]["status"] == "PENDING"
    quote("AAPL", "102.00", "102.05")
    orders_match(symbols=["AAPL"])
    trade = Trade.objects.get(pk=r.json()["data"]["id"])
    assert trade.status == "OPEN"
    assert trade.entry_price == D("102.070410")  # 102.05 × 1.0002
    assert trade.stop_triggered_at is not None


def test_a_stop_sell_opens_a_short_when_the_bid_falls_to_the_stop(api, account, quoted):
    r = place(api, symbol="AAPL", side="sell", quantity="10", order_type="stop",
              stop_price="98")  # fmt: skip
    quote("AAPL", "98.50", "98.52")
    orders_match(symbols=["AAPL"])
    assert Trade.objects.get(pk=r.json()["data"]["id"]).status == "PENDING"
    quote("AAPL", "97.90", "97.95")
    orders_match(symbols=["AAPL"])
    trade = Trade.objects.get(pk=r.json()["data"]["id"])
    assert (trade.status, trade.entry_price) == ("OPEN", D("97.880420"))


def test_a_stop_limit_triggers_then_fills_only_within_its_limit(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="10", order_type="stop_limit",
              stop_price="102", limit_price="102.50")  # fmt: skip
    trade_id = r.json()["data"]["id"]
    quote("AAPL", "102.90", "103.00")  # triggers (ask ≥ 102) but above the limit
    orders_match(symbols=["AAPL"])
    trade = Trade.objects.get(pk=trade_id)
    assert (trade.status, trade.stop_triggered_at is not None) == ("PENDING", True)
    quote("AAPL", "102.30", "102.40")  # back inside the limit: fills
    orders_match(symbols=["AAPL"])
    trade.refresh_from_db()
    assert (trade.status, trade.entry_price) == ("OPEN", D("102.420480"))


def test_a_retried_market_order_with_the_same_client_order_id_fills_once(api, account, quoted):
    first = place(api, symbol="AAPL", side="buy", quantity="10", client_order_id="abc-1")
    again = place(api, symbol="AAPL", side="buy", quantity="10", client_order_id="abc-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Trade.objects.count() == 1
    assert entries(account) == [("COMMISSION", D("-1.00"))]


def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_trade(api, account, quoted):
    first = api.post("/api/paper-trading/trades/", {"symbol": "AAPL", "side": "buy",
                     "quantity": "3"}, format="json", HTTP_IDEMPOTENCY_KEY="k-42")  # fmt: skip
    quote("AAPL", "120.00", "120.02")  # the price moved: the retry must not refill
    again = api.post("/api/paper-trading/trades/", {"symbol": "AAPL", "side": "buy",
                     "quantity": "3"}, format="json", HTTP_IDEMPOTENCY_KEY="k-42")  # fmt: skip
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again.json()["data"]["entry_price"] == "100.020000"
    assert Trade.objects.count() == 1


def test_a_reused_key_for_a_different_order_is_a_conflict(api, account, quoted):
    place(api, symbol="AAPL", side="buy", quantity="10", client_order_id="abc-1")
    r = place(api, symbol="AAPL", side="sell", quantity="10", client_order_id="abc-1")
    assert (r.status_code, r.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    assert Trade.objects.count() == 1


def test_the_same_client_order_id_on_two_accounts_makes_two_trades(api, alice, account, quoted):
    other = AccountFactory(user=alice)
    place(api, account_id=account.pk, symbol="AAPL", side="buy", quantity="1",
          client_order_id="x")  # fmt: skip
    place(api, account_id=other.pk, symbol="AAPL", side="buy", quantity="1",
          client_order_id="x")  # fmt: skip
    assert Trade.objects.count() == 2


def test_crypto_trades_in_fractions(api, account, btc):
    quote("BTC/USD", "60000.00", "60010.00")
    r = place(api, symbol="BTC/USD", side="buy", quantity="0.015")
    trade = r.json()["data"]
    assert trade["entry_price"] == "60022.002000"
    assert trade["commission"] == "1.00"
