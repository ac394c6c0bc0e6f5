"""The trade list is serialized from plain rows (issue 13): the same JSON as TradeOutput,
to the character, for trades in every state; and its cost does not grow with the page."""

from decimal import Decimal

import pytest
from rest_framework.renderers import JSONRenderer

from core.quotes import quotes_get
from paper_trading.api import serializers as s
from paper_trading.models import Trade
from paper_trading.services.trades import trade_cancel, trade_close, trade_place
from paper_trading.tests.factories import quote

D = Decimal


def buy(account, asset, quantity="1", **kwargs):
    return trade_place(
        account=account, asset=asset, direction="LONG", quantity=D(quantity), **kwargs
    )


def test_rows_give_the_same_json_as_the_model_serializer(account, aapl, btc):
    quote("AAPL", "99.98", "100.00")
    quote("BTC/USD", "60000", "60010")
    opened = buy(account, aapl, "10")
    trade_close(trade=opened, quantity=D("4"))  # a split: a closed piece and the rest
    short = trade_place(
        account=account, asset=aapl, direction="SHORT", quantity=D("3"),
        stop_loss=D("120"), take_profit=D("80"), notes="hedge",
    )  # fmt: skip
    trade_close(trade=short)
    buy(account, aapl, order_type="LIMIT", limit_price=D("50"), client_order_id="mine-1")
    trade_cancel(trade=buy(account, aapl, order_type="LIMIT", limit_price=D("40")))
    buy(account, btc, "0.5")  # open, valued without a quote below
    quote("AAPL", "101.37", "101.41")
    quotes = quotes_get(["AAPL"])

    trades = Trade.objects.filter(account=account).order_by("-created_at", "-id")
    assert {t.status for t in trades} == {"OPEN", "CLOSED", "PENDING", "CANCELLED"}
    assert trades.filter(split_from__isnull=False).exists()
    expected = s.TradeOutput(trades, many=True, context={"quotes": quotes}).data
    rows = s.trade_rows_output(trades.values(*s.TRADE_ROW_FIELDS), quotes)
    # The same keys in the same order, the same values: the same JSON to the character.
    assert JSONRenderer().render(rows) == JSONRenderer().render(expected)
    btc_item = next(item for item in rows if item["asset_symbol"] == "BTC/USD")
    assert (btc_item["status"], btc_item["current_price"]) == ("OPEN", None)


@pytest.mark.parametrize("count", [5, 60])
def test_the_list_takes_the_same_queries_whatever_its_length(
    api, account, aapl, count, django_assert_max_num_queries
):
    quote("AAPL", "99.98", "100.00")
    Trade.objects.bulk_create(
        Trade(
            account=account, asset=aapl, direction="LONG", status="OPEN",
            quantity=Decimal("1"), entry_price=Decimal("100"),
        )
        for _ in range(count)
    )  # fmt: skip
    with django_assert_max_num_queries(6):
        r = api.get("/api/paper-trading/trades/")
    assert r.status_code == 200
    assert len(r.json()["data"]) == count


def test_the_unpaged_list_is_bounded_and_never_leaves_an_open_trade_out(
    api, account, aapl, settings
):
    from alpacabackend.api.pagination import WrappedListPagination

    quote("AAPL", "99.98", "100.00")
    old_open = trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("1"))
    for _ in range(4):
        trade_close(
            trade=trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("1"))
        )
    bound = WrappedListPagination.unpaged_max
    WrappedListPagination.unpaged_max = 3
    try:
        body = api.get("/api/paper-trading/trades/").json()
        paged = api.get("/api/paper-trading/trades/?limit=3").json()
    finally:
        WrappedListPagination.unpaged_max = bound
    assert body["count"] == 5 and len(body["data"]) == 3 and body["next"]
    # The oldest trade is the open one: first in the unpaged list, last when paged.
    assert body["data"][0]["id"] == old_open.pk
    assert [t["status"] for t in body["data"][1:]] == ["CLOSED", "CLOSED"]
    assert old_open.pk not in [t["id"] for t in paged["data"]]
