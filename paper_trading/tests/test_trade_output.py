"""One trade's answer (an order, a close, a cancel, a detail) is built from the objects the
service holds, through the list's row formatter (issue 13): the same JSON, to the character,
as the model serializers, whether the trade was just written or read back."""

from decimal import Decimal

import pytest

from core.quotes import quotes_get
from paper_trading.api import serializers as s
from paper_trading.models import Trade
from paper_trading.services.trades import order_place, trade_cancel, trade_close, trade_place
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import place, trade_url


def _model_json(trade, quotes, order=None):
    if order is None:
        return dict(s.TradeOutput(trade, context={"quotes": quotes}).data)
    return dict(s.OrderOutput(trade, context={"quotes": quotes, "order": order}).data)


def test_one_trade_in_every_state_answers_as_the_model_serializer(account, aapl):
    quote("AAPL", "99.98", "100.00")
    opened = order_place(
        account=account, asset=aapl, direction="LONG", quantity=Decimal("10"),
        stop_loss=Decimal("90"), take_profit=Decimal("120"), notes="swing",
    )  # fmt: skip
    piece = trade_close(trade=opened.trade, quantity=Decimal("4"))  # split: closed piece
    pending = trade_place(
        account=account, asset=aapl, direction="SHORT", quantity=Decimal("1"),
        order_type="LIMIT", limit_price=Decimal("150"), client_order_id="mine-1",
    )  # fmt: skip
    cancelled = trade_cancel(
        trade=trade_place(
            account=account, asset=aapl, direction="LONG", quantity=Decimal("1"),
            order_type="LIMIT", limit_price=Decimal("40"),
        )
    )  # fmt: skip
    quote("AAPL", "101.37", "101.41")
    quotes = quotes_get(["AAPL"])
    held = [opened.trade, piece, pending, cancelled]
    assert {t.status for t in held} == {"OPEN", "CLOSED", "PENDING", "CANCELLED"}
    for trade in held:
        # As the service left it in memory, and as read back from the database.
        assert s.trade_output(trade, quotes) == _model_json(trade, quotes)
        stored = Trade.objects.get(pk=trade.pk)
        assert s.trade_output(stored, quotes) == _model_json(stored, quotes)
    # An open trade without a quote has no valuation, in both.
    assert s.trade_output(opened.trade, {}) == _model_json(opened.trade, {})
    assert s.order_output(opened, quotes) == _model_json(opened.trade, quotes, opened)


def test_an_order_that_closes_and_opens_answers_as_the_model_serializer(account, aapl):
    quote("AAPL", "99.98", "100.00")
    first = trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("2"))
    second = trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("3"))
    # sell 7 in the side format: closes 2 and 3 (oldest first) and opens a SHORT of 2.
    netted = order_place(
        account=account, asset=aapl, direction="SHORT", quantity=Decimal("7"),
        position_effect="REDUCE",
    )  # fmt: skip
    assert [t.pk for t in netted.closed] == [first.pk, second.pk]
    assert netted.opened is not None and netted.opened.quantity == Decimal("2")
    quotes = quotes_get(["AAPL"])
    data = s.order_output(netted, quotes)
    assert data == _model_json(netted.trade, quotes, netted)
    assert data["closed_trade_ids"] == [first.pk, second.pk]
    assert data["opened_trade_id"] == netted.opened.pk


def test_the_endpoints_answer_with_the_stored_trade(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    r = place(api, symbol="AAPL", side="buy", quantity="3", stop_loss="90")
    assert r.status_code == 201, r.json()
    trade = Trade.objects.get(pk=r.json()["data"]["id"])
    quotes = quotes_get(["AAPL"])
    expected = _model_json(trade, quotes)
    answered = r.json()["data"]
    assert {k: v for k, v in answered.items() if k in expected} == expected
    assert api.get(trade_url(trade.pk)).json()["data"] == expected
    closed = api.post(trade_url(trade.pk, "close"), {}, format="json").json()["data"]
    assert closed == _model_json(Trade.objects.get(pk=trade.pk), quotes)


@pytest.mark.parametrize("places", [2, 6])
@pytest.mark.parametrize(
    "text", ["1", "1.5", "2.000000", "-0.00", "0E-8", "1E+2", "0.0000005", "123.455", "-7.125"]
)
def test_a_decimal_writes_as_drf_writes_it_whatever_its_exponent(places, text):
    from rest_framework import serializers

    from paper_trading.api.serializers import _decimal_formatter

    field = serializers.DecimalField(max_digits=20, decimal_places=places)
    assert _decimal_formatter(field)(Decimal(text)) == field.to_representation(Decimal(text))
