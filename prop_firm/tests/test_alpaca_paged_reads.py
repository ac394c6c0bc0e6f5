"""GET /v2/orders and GET /v2/account/activities read one page, not the account's history
(issue 13): the same answers as rebuilding every order and every activity from every trade,
for every filter and page, in a number of queries that does not grow with the history."""

import itertools
from datetime import UTC, timedelta
from decimal import Decimal
from functools import partial

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from paper_trading.models import LedgerEntry, LedgerKind, Trade
from paper_trading.services.trades import trade_close
from prop_firm.alpaca_api import selectors, shapes
from prop_firm.alpaca_api.selectors import _NON_TRADE, _AccountOrders
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


def _every_activity_rebuilt(
    of, *, activity_types=None, after=None, until=None, direction="desc", page_size=100,
    page_token=None,
):  # fmt: skip
    """The activities as they were computed before: from every trade and ledger entry."""
    orders = _AccountOrders(of, Trade.objects.filter(account=of).select_related("asset"))
    by_coid = {t.client_order_id: t for t in orders.rows if t.client_order_id}
    root_uuid = {t.pk: t.uuid for t in orders.rows}
    items = []

    def fill(*, trade, quantity, at, price, side, order_id):
        return {
            "activity_type": "FILL", "transaction_time": shapes.iso(at), "type": "fill",
            "price": shapes.number(price), "qty": shapes.number(quantity), "side": side,
            "symbol": trade.asset.symbol, "leaves_qty": "0", "order_id": str(order_id),
            "cum_qty": shapes.number(quantity), "order_status": "filled",
        }  # fmt: skip

    for trade in orders.trades:
        if trade.entry_at is not None and trade.split_from_id is None:
            quantity = trade.quantity + orders.split_quantity.get(trade.pk, Decimal(0))
            build = partial(fill, trade=trade, quantity=quantity, at=trade.entry_at,
                            price=trade.entry_price, side=shapes.side_of(trade.direction),
                            order_id=trade.uuid)  # fmt: skip
            items.append((trade.entry_at, f"{trade.uuid}:entry", "FILL", build))
        if trade.status == "CLOSED" and trade.exit_at is not None:
            coid = trade.closing_client_order_id
            if coid and coid in by_coid:
                order_id = by_coid[coid].uuid
            elif coid:
                order_id = shapes.order_uuid(of.pk, coid)
            else:
                order_id = root_uuid.get(trade.split_from_id or trade.pk, trade.uuid)
            build = partial(fill, trade=trade, quantity=trade.quantity, at=trade.exit_at,
                            price=trade.exit_price, side=shapes.opposite_side(trade.direction),
                            order_id=order_id)  # fmt: skip
            items.append((trade.exit_at, f"{trade.uuid}:exit", "FILL", build))

    def cash(entry, kind):
        return {
            "activity_type": kind, "date": entry.created_at.date().isoformat(),
            "net_amount": shapes.money(entry.amount),
            "description": entry.memo or entry.get_kind_display(), "status": "executed",
            "symbol": None, "qty": None, "price": None, "per_share_amount": None,
        }  # fmt: skip

    for entry in LedgerEntry.objects.filter(account=of).exclude(kind=LedgerKind.REALIZED_PNL):
        kind = _NON_TRADE.get(entry.kind, "JNLC")
        items.append((entry.created_at, f"ledger:{entry.pk}", kind, partial(cash, entry, kind)))
    chosen = []
    for at, ref, kind, build in items:
        if activity_types and kind not in activity_types:
            continue
        if (after is not None and at <= after) or (until is not None and at >= until):
            continue
        activity_id = f"{at.astimezone(UTC):%Y%m%d%H%M%S%f}::{ref}"
        if page_token and (
            activity_id <= page_token if direction == "asc" else activity_id >= page_token
        ):
            continue
        chosen.append((activity_id, build))
    chosen.sort(key=lambda item: item[0], reverse=direction != "asc")
    account_id = str(shapes.account_uuid(of))
    return [{"id": i, "account_id": account_id, **build()} for i, build in chosen[:page_size]]


def test_every_activity_page_is_what_rebuilding_every_activity_gives(account, history):  # noqa: F811
    """Walks every page for every filter: many activities share an instant (an order's fills
    and its commission are written together), so page tokens fall inside ties."""
    marks = [None, history + timedelta(seconds=20)]
    for types, direction, size, after, until in itertools.product(
        (None, {"FILL"}, {"FEE"}, {"CSD", "FILL"}),
        ("desc", "asc"),
        (1, 4, 100),
        marks,
        (None, history + timedelta(seconds=60)),
    ):
        token, pages = None, 0
        while True:
            options = {"activity_types": types, "after": after, "until": until,
                       "direction": direction, "page_size": size, "page_token": token}  # fmt: skip
            expected = _every_activity_rebuilt(account, **options)
            assert selectors.activity_list(account=account, **options) == expected, options
            if len(expected) < size:
                break
            token, pages = expected[-1]["id"], pages + 1
        assert pages < 100
    every = selectors.activity_list(account=account, page_size=100)
    assert {a["activity_type"] for a in every} == {"FILL", "FEE", "CSD"}


def test_a_page_of_activities_costs_the_same_queries_whatever_the_history(bot, account):  # noqa: F811
    put_quote("AAPL", "100.00")

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            first = selectors.activity_list(account=account, page_size=5)
            selectors.activity_list(account=account, page_size=5, page_token=first[-1]["id"])
        return len(captured.captured_queries)

    def trade_pairs(first, last):
        for n in range(first, last):
            order(bot, symbol="AAPL", side="buy", qty="1", client_order_id=f"b{n}")
            order(bot, symbol="AAPL", side="sell", qty="1", client_order_id=f"s{n}")

    trade_pairs(0, 8)  # enough for full pages of entries, exits and cash movements
    few = page_queries()
    trade_pairs(8, 40)
    # Per source: the page, the rows at its last instant, and (after a token) the rows at
    # the token's instant; then the split pieces and the closing orders of the fills shown.
    assert page_queries() == few <= 19


def test_a_page_token_that_is_no_activity_id_is_a_422(bot):  # noqa: F811
    for token in ("abc", "2026113012::x", "20261399120000000000::ledger:1"):
        answer = bot.get("/alpaca/v2/account/activities", {"page_token": token})
        assert answer.status_code == 422, (token, answer.content)
    first = bot.get("/alpaca/v2/account/activities").json()
    assert (
        bot.get("/alpaca/v2/account/activities", {"page_token": first[0]["id"]}).status_code == 200
    )
