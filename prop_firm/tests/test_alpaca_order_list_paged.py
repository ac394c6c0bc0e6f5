"""GET /v2/orders reads one page, not the account's history (issue 13): the same answer as
rebuilding every order from every trade, for every filter, in a fixed number of queries."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from paper_trading.models import Trade
from paper_trading.services.trades import trade_close
from prop_firm.alpaca_api import selectors
from prop_firm.alpaca_api.selectors import _AccountOrders
from prop_firm.tests.factories import put_quote
from prop_firm.tests.test_alpaca_orders import account, bot, order  # noqa: F401 (fixtures)


def _every_order_rebuilt(
    of, *, status, limit, after=None, until=None, direction="desc", symbols=None, side=None
):
    """The answer as it was computed before: every trade loaded, every order rebuilt, then
    filtered, sorted and cut."""
    trades = Trade.objects.filter(account=of).select_related("asset").order_by("id")
    if status == "open":
        trades = trades.filter(status="PENDING", split_from__isnull=True)
    orders = _AccountOrders(of, trades)
    wanted = {s.strip().upper() for s in symbols or []}
    chosen = []
    for submitted, order_status, symbol, order_side, build in orders.summaries():
        is_open = order_status in {"new", "accepted", "held", "partially_filled", "pending_new"}
        if (status == "open" and not is_open) or (status == "closed" and is_open):
            continue
        if (after is not None and submitted <= after) or (until is not None and submitted >= until):
            continue
        if (wanted and symbol.upper() not in wanted) or (side and order_side != side):
            continue
        chosen.append((submitted, build))
    chosen.sort(key=lambda item: item[0], reverse=direction != "asc")
    return [build() for _, build in chosen[:limit]]


@pytest.fixture
def history(bot, account):  # noqa: F811
    """Orders of every kind, a few seconds apart: fills, a partial close (a split), orders
    that only closed (no row), a netting sell that closes and opens, resting, cancelled and
    expired orders, two symbols, and a close from the web app (no client order id)."""
    start = timezone.now() - timedelta(hours=1)
    times = iter(start + timedelta(seconds=7 * n) for n in range(100))

    def at_next(**fields):
        with time_machine.travel(next(times), tick=False):
            answer = order(bot, **fields)
        assert answer.status_code == 200, answer.json()
        return answer.json()

    at_next(symbol="AAPL", side="buy", qty="5", client_order_id="buy-aapl-1")
    at_next(symbol="MSFT", side="buy", qty="3", client_order_id="buy-msft-1")
    at_next(symbol="AAPL", side="sell", qty="2", client_order_id="sell-aapl-part")  # split
    at_next(symbol="AAPL", side="buy", qty="4")
    at_next(symbol="MSFT", side="sell", qty="3", client_order_id="sell-msft-all")  # only closes
    at_next(symbol="AAPL", side="sell", qty="9", client_order_id="sell-aapl-net")  # nets
    resting = at_next(symbol="MSFT", side="buy", qty="1", type="limit", limit_price="90",
                      time_in_force="gtc", client_order_id="rest-1")  # fmt: skip
    at_next(symbol="AAPL", side="buy", qty="1", type="limit", limit_price="80",
            time_in_force="gtc")  # fmt: skip
    cancel = at_next(symbol="MSFT", side="sell", qty="1", type="limit", limit_price="150",
                     time_in_force="gtc")  # fmt: skip
    with time_machine.travel(next(times), tick=False):
        assert bot.delete(f"/alpaca/v2/orders/{cancel['id']}").status_code == 204
    at_next(symbol="AAPL", side="buy", qty="3", client_order_id="buy-aapl-2")  # closes short
    at_next(symbol="MSFT", side="buy", qty="2")
    with time_machine.travel(next(times), tick=False):
        trade_close(trade=Trade.objects.filter(account=account, status="OPEN").last())
    assert resting["status"] == "new"
    return start


def test_every_filter_answers_what_rebuilding_every_order_answers(account, history):  # noqa: F811
    assert Trade.objects.filter(account=account, split_from__isnull=False).exists()
    marks = [None, history + timedelta(seconds=20), history + timedelta(seconds=60)]
    for status, direction, limit, symbols, side, after, until in itertools.product(
        ("open", "closed", "all"),
        ("desc", "asc"),
        (2, 50),
        (None, ["aapl"], ["MSFT", "AAPL"]),
        (None, "buy", "sell"),
        marks,
        (None, history + timedelta(seconds=70)),
    ):
        options = {"status": status, "limit": limit, "after": after, "until": until,
                   "direction": direction, "symbols": symbols, "side": side}  # fmt: skip
        expected = _every_order_rebuilt(account, **options)
        assert selectors.order_list(account=account, **options) == expected, options
    everything = selectors.order_list(account=account, status="all", limit=500)
    assert len(everything) == 11  # the history above, whole (a web-app close is no order)
    ids = [o["client_order_id"] for o in everything]
    assert "sell-msft-all" in ids  # an order that only closed, without a row of its own


def test_a_page_costs_the_same_queries_whatever_the_history(bot, account):  # noqa: F811
    put_quote("AAPL", "100.00")

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            selectors.order_list(account=account, status="all", limit=5)
        return len(captured.captured_queries)

    for n in range(4):
        order(bot, symbol="AAPL", side="buy", qty="1", client_order_id=f"b{n}")
        order(bot, symbol="AAPL", side="sell", qty="1", client_order_id=f"s{n}")
    few = page_queries()
    for n in range(4, 30):
        order(bot, symbol="AAPL", side="buy", qty="1", client_order_id=f"b{n}")
        order(bot, symbol="AAPL", side="sell", qty="1", client_order_id=f"s{n}")
    assert page_queries() == few <= 4
    assert Decimal(Trade.objects.filter(account=account).count()) >= 30
