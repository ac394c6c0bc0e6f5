"""POST .../trades/{id}/close/: at market, partial closes, short P&L, and the ledger."""

from decimal import Decimal

import pytest

from paper_trading.models import Trade
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import balance, entries, ledger_sum, place, trade_url

D = Decimal


@pytest.fixture
def long_10(api, account, aapl):
    """10 AAPL bought at 100.02 (ask 100.00 + 2 bps), 1.00 commission."""
    quote("AAPL", "99.98", "100.00")
    return place(api, symbol="AAPL", side="buy", quantity="10").json()["data"]


def test_closing_a_long_sells_at_the_bid_and_posts_gross_pnl_and_commission(api, account, long_10):
    quote("AAPL", "110.00", "110.02")
    r = api.post(trade_url(long_10["id"], "close"), {"exit_price": "500"}, format="json")
    trade = r.json()["data"]
    assert (r.status_code, r.json()["msg"]) == (200, "Trade closed.")
    assert trade["status"] == "CLOSED"
    assert trade["exit_price"] == "109.978000"  # 110.00 × 0.9998; the sent 500 is ignored
    # gross (109.978 − 100.02) × 10 = 99.58; commission 1.00 entry + 1.00 exit
    assert trade["commission"] == "2.00"
    assert trade["realized_pl"] == "97.58"
    assert trade["close_reason"] == "MANUAL"
    assert entries(account) == [
        ("COMMISSION", D("-1.00")), ("REALIZED_PNL", D("99.58")), ("COMMISSION", D("-1.00")),
    ]  # fmt: skip
    assert balance(account) == D("100097.58") == ledger_sum(account)


def test_a_short_earns_when_the_price_falls(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    short = place(api, symbol="AAPL", side="sell", quantity="10").json()["data"]
    assert short["entry_price"] == "99.960004"
    quote("AAPL", "94.98", "95.00")
    trade = api.post(trade_url(short["id"], "close")).json()["data"]
    assert trade["exit_price"] == "95.019000"  # bought back at the ask + 2 bps
    # gross (99.960004 − 95.019) × 10 = 49.41004 → 49.41; minus 2.00 commission
    assert trade["realized_pl"] == "47.41"
    assert balance(account) == D("100047.41") == ledger_sum(account)


def test_a_short_loses_when_the_price_rises(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    short = place(api, symbol="AAPL", side="sell", quantity="10").json()["data"]
    quote("AAPL", "104.98", "105.00")
    trade = api.post(trade_url(short["id"], "close")).json()["data"]
    assert trade["realized_pl"] == "-52.61"  # (99.960004 − 105.021) × 10 = −50.61; −2.00
    assert balance(account) == D("99947.39") == ledger_sum(account)


def test_a_partial_close_splits_the_trade(api, account, long_10):
    quote("AAPL", "110.00", "110.02")
    r = api.post(trade_url(long_10["id"], "close"), {"quantity": "4"}, format="json")
    closed = r.json()["data"]
    assert r.json()["msg"] == "Trade partially closed."
    assert closed["id"] != long_10["id"]
    assert (closed["status"], closed["quantity"], closed["split_from"]) == (
        "CLOSED", "4.000000", long_10["id"],
    )  # fmt: skip
    # gross (109.978 − 100.02) × 4 = 39.832 → 39.83; entry share 0.40 + exit 1.00
    assert (closed["commission"], closed["realized_pl"]) == ("1.40", "38.43")
    rest = Trade.objects.get(pk=long_10["id"])
    assert (rest.status, rest.quantity, rest.commission) == ("OPEN", D("6"), D("0.60"))

    final = api.post(trade_url(long_10["id"], "close")).json()["data"]
    # gross (109.978 − 100.02) × 6 = 59.748 → 59.75; commission 0.60 + 1.00
    assert (final["id"], final["realized_pl"], final["commission"]) == (
        long_10["id"], "58.15", "1.60",
    )  # fmt: skip
    # Every cent that moved B is on one of the two trades.
    assert balance(account) == D("100000.00") + D("38.43") + D("58.15") == ledger_sum(account)


def test_closing_more_than_the_trade_holds_is_refused(api, account, long_10):
    r = api.post(trade_url(long_10["id"], "close"), {"quantity": "11"}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_QUANTITY")
    assert Trade.objects.get(pk=long_10["id"]).status == "OPEN"


def test_closing_a_closed_trade_is_a_conflict(api, account, long_10):
    api.post(trade_url(long_10["id"], "close"))
    before = ledger_sum(account)
    r = api.post(trade_url(long_10["id"], "close"))
    assert (r.status_code, r.json()["code"]) == (409, "TRADE_NOT_OPEN")
    assert ledger_sum(account) == before


def test_closing_a_pending_order_is_a_conflict(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    order = place(api, symbol="AAPL", side="buy", quantity="1", order_type="limit",
                  limit_price="90").json()["data"]  # fmt: skip
    r = api.post(trade_url(order["id"], "close"))
    assert (r.status_code, r.json()["code"]) == (409, "TRADE_NOT_OPEN")


def test_closing_without_a_fresh_quote_is_refused(market_data_down, api, account, long_10):
    from django.core.cache import cache

    cache.clear()
    r = api.post(trade_url(long_10["id"], "close"))
    assert (r.status_code, r.json()["code"]) == (400, "NO_PRICE")
    assert Trade.objects.get(pk=long_10["id"]).status == "OPEN"


def test_a_retried_partial_close_with_the_same_key_closes_once(api, account, long_10):
    first = api.post(trade_url(long_10["id"], "close"), {"quantity": "4"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="close-1")  # fmt: skip
    again = api.post(trade_url(long_10["id"], "close"), {"quantity": "4"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="close-1")  # fmt: skip
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Trade.objects.get(pk=long_10["id"]).quantity == D("6")


def test_a_retried_full_close_of_a_keyed_order_returns_the_closed_trade(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    opened = api.post("/api/paper-trading/trades/", {"symbol": "AAPL", "side": "buy",
                      "quantity": "10"}, format="json", HTTP_IDEMPOTENCY_KEY="open-1")  # fmt: skip
    trade_id = opened.json()["data"]["id"]

    first = api.post(trade_url(trade_id, "close"), HTTP_IDEMPOTENCY_KEY="close-1")
    again = api.post(trade_url(trade_id, "close"), HTTP_IDEMPOTENCY_KEY="close-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["data"]["id"] == trade_id
    assert again.json()["data"]["status"] == "CLOSED"
    assert len(entries(account, "REALIZED_PNL")) == 1


def test_bob_cannot_close_alices_trade(bob_api, account, long_10):
    r = bob_api.post(trade_url(long_10["id"], "close"))
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
    assert Trade.objects.get(pk=long_10["id"]).status == "OPEN"
