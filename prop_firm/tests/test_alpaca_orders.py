"""The Alpaca API's order, position, activity and market-data rules, over HTTP with the test
client (the SDK's own parsing is covered by test_alpaca_sdk.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from paper_trading.models import Trade
from prop_firm.alpaca_api.keys import api_key_create
from prop_firm.tests.factories import AssetFactory, PlanFactory, active_account, put_quote

MARKET = {"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "day"}


@pytest.fixture(autouse=True)
def _ledger_equals_balance(db):
    yield
    from paper_trading.management.commands.check_ledger import accounts_out_of_balance

    assert list(accounts_out_of_balance()) == []


@pytest.fixture
def account(alice):
    for symbol in ("AAPL", "MSFT"):
        AssetFactory(symbol=symbol, fractionable=False, shortable=True)
        put_quote(symbol, "100.00")
    return active_account(alice, PlanFactory(starting_balance=Decimal("50000.00")))


@pytest.fixture
def bot(account, alice):
    created = api_key_create(account=account, user=alice)
    client = APIClient()
    client.credentials(
        HTTP_APCA_API_KEY_ID=created.api_key.key_id, HTTP_APCA_API_SECRET_KEY=created.secret_key
    )
    return client


def order(bot, **fields):
    return bot.post("/alpaca/v2/orders", {**MARKET, "qty": "1", **fields}, format="json")


def test_an_ioc_limit_that_does_not_fill_at_once_is_cancelled(bot):
    answer = order(bot, type="limit", limit_price="90", time_in_force="ioc").json()

    assert answer["status"] == "canceled"
    assert Trade.objects.get().status == "CANCELLED"


def test_replacing_the_quantity_is_refused_and_the_order_kept(bot):
    placed = order(bot, type="limit", limit_price="90", time_in_force="gtc").json()

    answer = bot.patch(f"/alpaca/v2/orders/{placed['id']}", {"qty": "3"}, format="json")

    assert answer.status_code == 422
    assert answer.json()["code"] == 42210000
    assert "cancel the order and place a new one" in answer.json()["message"]
    assert Trade.objects.get().quantity == 1


def test_a_filled_order_cannot_be_cancelled(bot):
    placed = order(bot).json()

    answer = bot.delete(f"/alpaca/v2/orders/{placed['id']}")

    assert answer.status_code == 422
    assert "ORDER_NOT_CANCELABLE" in answer.json()["message"]


def test_a_limit_order_crossed_later_fills_and_keeps_its_id(bot):
    placed = order(bot, type="limit", limit_price="95", time_in_force="gtc").json()
    put_quote("AAPL", "94.00")
    from paper_trading.services.trades import orders_match

    orders_match(symbols=["AAPL"])

    filled = bot.get(f"/alpaca/v2/orders/{placed['id']}").json()
    assert (filled["status"], filled["filled_avg_price"]) == ("filled", "94")


def test_a_resting_sell_that_only_closes_answers_under_its_id_once_filled(bot):
    order(bot, qty="2")
    placed = order(bot, side="sell", qty="2", type="limit", limit_price="105", time_in_force="gtc")
    placed = placed.json()
    assert placed["status"] == "new"
    put_quote("AAPL", "106.00")
    from paper_trading.services.trades import orders_match

    orders_match(symbols=["AAPL"])

    # Its row is gone (it only closed the long); the closed trade carries its client id.
    filled = bot.get(f"/alpaca/v2/orders/{placed['id']}").json()
    assert (filled["id"], filled["side"], filled["status"]) == (placed["id"], "sell", "filled")
    assert filled["filled_avg_price"] == "106"
    assert bot.get("/alpaca/v2/positions").json() == []


def test_orders_are_filtered_by_status_symbol_side_and_time(bot):
    before = timezone.now() - timedelta(seconds=1)
    order(bot)
    order(bot, symbol="MSFT", type="limit", limit_price="90", time_in_force="gtc")

    def ids(query):
        return [(o["symbol"], o["status"]) for o in bot.get(f"/alpaca/v2/orders?{query}").json()]

    assert ids("") == [("MSFT", "new")]
    assert ids("status=closed") == [("AAPL", "filled")]
    assert ids("status=all&symbols=AAPL") == [("AAPL", "filled")]
    assert ids("status=all&side=sell") == []
    assert len(ids(f"status=all&after={before.isoformat().replace('+00:00', 'Z')}")) == 2
    assert ids("status=all&until=2000-01-01T00:00:00Z") == []
    assert bot.get("/alpaca/v2/orders?status=maybe").status_code == 422


def test_closing_more_than_the_position_is_refused(bot):
    order(bot, qty="2")

    too_much = bot.delete("/alpaca/v2/positions/AAPL?qty=3")
    bad_percent = bot.delete("/alpaca/v2/positions/AAPL?percentage=150")

    assert too_much.status_code == 422
    assert "insufficient qty available" in too_much.json()["message"]
    assert bad_percent.status_code == 422
    assert bot.get("/alpaca/v2/positions/AAPL").json()["qty"] == "2"


def test_orders_out_of_the_firms_rules_are_403_and_invalid_ones_422(bot):
    size = order(bot, qty="600")  # 60,000 > 100% of the 50,000 equity in one position
    assert size.status_code == 403
    assert "POSITION_SIZE" in size.json()["message"]

    cases = [
        {"qty": "0"},
        {"qty": None, "notional": "100"},
        {"type": "trailing_stop"},
        {"type": "limit"},
        {"time_in_force": "opg"},
        {"order_class": "bracket", "take_profit": {"limit_price": "120"}},
        {"extended_hours": True},
        {"qty": "1e400"},
        {"type": "limit", "limit_price": "1e-30"},
        {"client_order_id": {"not": "a string"}},
        {"symbol": ["AAPL"]},
    ]
    for fields in cases:
        answer = order(bot, **fields)
        assert answer.status_code == 422, fields
        assert answer.json()["code"] == 42210000
    assert not Trade.objects.exists()


def test_activities_list_the_fills_and_the_deposit(bot):
    order(bot, qty="2")
    bot.delete("/alpaca/v2/positions/AAPL")

    activities = bot.get("/alpaca/v2/account/activities?direction=asc").json()

    kinds = [(a["activity_type"], a.get("side"), a.get("net_amount")) for a in activities]
    assert kinds == [
        ("CSD", None, "50000.00"),
        ("FILL", "buy", None),
        ("FEE", None, "-1.00"),
        ("FILL", "sell", None),
        ("FEE", None, "-1.00"),
    ]
    fills = bot.get("/alpaca/v2/account/activities?activity_types=FILL").json()
    assert [a["side"] for a in fills] == ["sell", "buy"]
    page = bot.get(f"/alpaca/v2/account/activities?page_size=1&page_token={fills[0]['id']}")
    assert page.json()[0]["id"] < fills[0]["id"]


def test_bars_reject_an_unknown_timeframe_and_page_over_symbols(bot, account):
    assert bot.get("/alpaca/v2/stocks/bars?symbols=AAPL&timeframe=1Week").status_code == 422
    # Completed bars only: the forming bar follows the quote, which moves between requests.
    now = timezone.now()
    start, end = ((now - timedelta(hours=h)).isoformat().replace("+00:00", "Z") for h in (8, 2))
    query = f"symbols=MSFT,AAPL&timeframe=1Hour&start={start}&end={end}"

    first = bot.get(f"/alpaca/v2/stocks/bars?{query}&limit=4").json()
    every = bot.get(f"/alpaca/v2/stocks/bars?{query}").json()
    second = bot.get(
        f"/alpaca/v2/stocks/bars?{query}&limit=100&page_token={first['next_page_token']}"
    ).json()

    assert list(first["bars"]) == ["AAPL"] and len(first["bars"]["AAPL"]) == 4
    joined = first["bars"]["AAPL"] + second["bars"]["AAPL"]
    assert joined == every["bars"]["AAPL"]
    assert second["bars"]["MSFT"] == every["bars"]["MSFT"]
    assert second["next_page_token"] is None
    one = bot.get(f"/alpaca/v2/stocks/AAPL/bars?timeframe=1Hour&start={start}&end={end}").json()
    assert (one["symbol"], one["bars"]) == ("AAPL", every["bars"]["AAPL"])


def test_unknown_symbols_are_left_out_of_market_data(bot, account):
    quotes = bot.get("/alpaca/v2/stocks/quotes/latest?symbols=AAPL,NOPE").json()

    assert list(quotes["quotes"]) == ["AAPL"]
    assert quotes["quotes"]["AAPL"]["ap"] > 0


def test_the_schema_documents_the_alpaca_api_as_its_own_section(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    orders = schema["paths"]["/alpaca/v2/orders"]
    assert orders["post"]["tags"] == ["Alpaca API"]
    assert {"AlpacaKeyId", "AlpacaSecretKey"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.parametrize(("field", "value"), [("qty", "１０"), ("qty", "٣")])
def test_numbers_in_other_digits_are_refused(bot, field, value):
    answer = bot.post("/alpaca/v2/orders", {**MARKET, field: value}, format="json")
    assert answer.status_code == 422
    assert bot.get("/alpaca/v2/orders", {"status": "all"}).json() == []


def test_a_limit_in_other_digits_is_refused(bot):
    answer = bot.get("/alpaca/v2/orders", {"limit": "٥٠"})
    assert answer.status_code == 422
