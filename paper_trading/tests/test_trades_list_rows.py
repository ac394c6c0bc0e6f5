"""The trade list is serialized from plain rows (issue 13): the same JSON as TradeOutput,
to the character, for trades in every state; and its cost does not grow with the page."""

from decimal import Decimal

import pytest

from paper_trading.api import serializers as s
from paper_trading.models import Trade
from paper_trading.services.trades import trade_cancel, trade_close, trade_place
from paper_trading.tests.factories import quote


def test_rows_give_the_same_json_as_the_model_serializer(account, aapl):
    quote("AAPL", "99.98", "100.00")
    opened = trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("10"))
    trade_close(trade=opened, quantity=Decimal("4"))  # a split: a closed piece and the rest
    short = trade_place(
        account=account, asset=aapl, direction="SHORT", quantity=Decimal("3"),
        stop_loss=Decimal("120"), take_profit=Decimal("80"), notes="hedge",
    )  # fmt: skip
    trade_close(trade=short)
    pending = trade_place(
        account=account, asset=aapl, direction="LONG", quantity=Decimal("1"),
        order_type="LIMIT", limit_price=Decimal("50"), client_order_id="mine-1",
    )  # fmt: skip
    trade_cancel(trade=trade_place(
        account=account, asset=aapl, direction="LONG", quantity=Decimal("1"),
        order_type="LIMIT", limit_price=Decimal("40"),
    ))  # fmt: skip
    assert pending.status == "PENDING"
    quote("AAPL", "101.37", "101.41")
    from core.quotes import quotes_get

    quotes = quotes_get(["AAPL"])
    trades = Trade.objects.filter(account=account).order_by("-created_at", "-id")
    statuses = {t.status for t in trades}
    assert statuses == {"OPEN", "CLOSED", "PENDING", "CANCELLED"}
    expected = s.TradeOutput(trades, many=True, context={"quotes": quotes}).data
    rows = s.trade_rows_output(trades.values(*s.TRADE_ROW_FIELDS), quotes)
    assert [dict(item) for item in expected] == rows


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
