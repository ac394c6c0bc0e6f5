"""With no stream or poll running (the embedded default: no broker, no beat), nothing keeps
the quotes of open trades fresh in the cache. The lists a trader reads still value their open
trades: a missing or stale quote is asked of the provider, as an order does."""

from datetime import timedelta
from decimal import Decimal

import time_machine
from django.core.cache import cache
from django.utils import timezone

from core.quotes import quotes_get
from paper_trading.services.trades import trade_place
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import POSITIONS, TRADES, trade_url


def _open_trade_then_forget_its_quote(account, aapl):
    quote("AAPL", "99.98", "100.00")
    trade = trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("3"))
    cache.clear()  # what the cache holds when nobody has asked for AAPL lately
    return trade


def test_the_trades_list_values_an_open_trade_whose_quote_is_not_cached(api, account, aapl):
    trade = _open_trade_then_forget_its_quote(account, aapl)
    row = api.get(TRADES).json()["data"][0]
    assert row["id"] == trade.pk and row["status"] == "OPEN"
    assert row["current_price"] is not None
    value = Decimal(row["current_price"]) * 3
    assert Decimal(row["current_value"]) == value.quantize(Decimal("0.01"))
    assert Decimal(row["unrealized_pl"]) == (value - Decimal(row["entry_cost"])).quantize(
        Decimal("0.01")
    )


def test_one_trade_and_the_positions_are_valued_too(api, account, aapl):
    trade = _open_trade_then_forget_its_quote(account, aapl)
    assert api.get(trade_url(trade.pk)).json()["data"]["current_price"] is not None
    cache.clear()
    (position,) = api.get(POSITIONS).json()["data"]
    assert position["current_price"] is not None and position["unrealized_pl"] is not None


def test_a_stale_quote_is_asked_again(api, account, aapl):
    _open_trade_then_forget_its_quote(account, aapl)
    api.get(TRADES)
    later = timezone.now() + timedelta(minutes=7)
    with time_machine.travel(later, tick=False):
        row = api.get(TRADES).json()["data"][0]
    # Seven minutes on, the cached quote was stale: the provider was asked for a new one and
    # the long trade is valued at its bid.
    (fresh,) = quotes_get(["AAPL"]).values()
    assert fresh.timestamp >= later - timedelta(seconds=1)
    assert Decimal(row["current_price"]) == fresh.bid
