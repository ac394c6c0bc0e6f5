"""Bad input and refused orders: a clear 4xx with a code, and nothing written."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from paper_trading.models import LedgerEntry, Trade
from paper_trading.tests.factories import AccountFactory, AssetFactory, quote
from paper_trading.tests.helpers import place

# A Saturday: the NYSE is closed all day.
SATURDAY = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)


@pytest.fixture
def quoted(aapl):
    quote("AAPL", "99.98", "100.00")
    return aapl


def assert_refused(response, status: int, code: str, field: str | None = None):
    body = response.json()
    assert response.status_code == status, body
    assert body["code"] == code
    assert body["msg"] == body["detail"]
    if field:
        assert field in body["errors"]
        assert body["msg"].startswith(f"{field}:")
    assert Trade.objects.count() == 0
    assert not LedgerEntry.objects.exclude(kind="DEPOSIT").exists()


@pytest.mark.parametrize("quantity", ["0", "-5"])
def test_a_non_positive_quantity_is_refused(api, account, quoted, quantity):
    r = place(api, symbol="AAPL", side="buy", quantity=quantity)
    assert_refused(r, 400, "INVALID_QUANTITY", "quantity")


@pytest.mark.parametrize("quantity", ["ten", "", "NaN", None])
def test_a_non_numeric_quantity_is_refused(api, account, quoted, quantity):
    r = place(api, symbol="AAPL", side="buy", quantity=quantity)
    assert_refused(r, 400, "VALIDATION_ERROR", "quantity")


def test_a_fractional_quantity_on_a_non_fractionable_asset_is_refused(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="1.5")
    assert_refused(r, 400, "FRACTIONAL_NOT_ALLOWED", "quantity")


@pytest.mark.parametrize(
    ("order_type", "field"),
    [("limit", "limit_price"), ("stop", "stop_price"), ("stop_limit", "limit_price")],
)
def test_a_missing_price_for_its_order_type_is_refused(api, account, quoted, order_type, field):
    r = place(api, symbol="AAPL", side="buy", quantity="1", order_type=order_type)
    assert_refused(r, 400, "INVALID_INPUT", field)


def test_a_stop_limit_needs_its_stop_too(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="1", order_type="stop_limit",
              limit_price="100")  # fmt: skip
    assert_refused(r, 400, "INVALID_INPUT", "stop_price")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"order_type": "limit", "limit_price": "0"}, "limit_price"),
        ({"order_type": "stop", "stop_price": "-1"}, "stop_price"),
        ({"stop_loss": "0"}, "stop_loss"),
        ({"take_profit": "-3"}, "take_profit"),
    ],
)
def test_a_price_at_or_below_zero_is_refused(api, account, quoted, extra, field):
    r = place(api, symbol="AAPL", side="buy", quantity="1", **extra)
    assert_refused(r, 400, "INVALID_PRICE", field)


def test_a_long_stop_loss_above_its_take_profit_is_refused(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="1", stop_loss="110", take_profit="105")
    assert_refused(r, 400, "INVALID_INPUT", "stop_loss")


def test_an_unknown_symbol_is_refused(api, account, quoted):
    r = place(api, symbol="NOPE", side="buy", quantity="1")
    assert_refused(r, 400, "UNKNOWN_SYMBOL", "symbol")


def test_shorting_a_non_shortable_asset_is_refused(api, account, btc):
    quote("BTC/USD", "60000", "60010")
    r = place(api, symbol="BTC/USD", side="sell", quantity="1")
    assert_refused(r, 400, "SHORT_NOT_ALLOWED", "direction")


def test_an_untradable_asset_is_refused(api, account):
    AssetFactory(symbol="HALT", tradable=False)
    quote("HALT", "10", "10.01")
    r = place(api, symbol="HALT", side="buy", quantity="1")
    assert_refused(r, 400, "ASSET_NOT_TRADABLE")


def test_contradicting_side_and_direction_are_refused(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", direction="SHORT", quantity="1")
    assert_refused(r, 400, "VALIDATION_ERROR", "side")


def test_no_fresh_quote_refuses_a_market_order(market_data_down, api, account, aapl):
    quote("AAPL", "99.98", "100.00", at=datetime.now(UTC) - timedelta(minutes=5))
    r = place(api, symbol="AAPL", side="buy", quantity="1")
    assert_refused(r, 400, "NO_PRICE")


def test_no_quote_at_all_refuses_a_market_order(market_data_down, api, account, aapl):
    r = place(api, symbol="AAPL", side="buy", quantity="1")
    assert_refused(r, 400, "NO_PRICE")


def test_a_missing_quote_is_fetched_from_the_market_before_the_fill(api, account, aapl):
    """Nobody follows AAPL yet (no stream, no poll): the order asks the market itself."""
    r = place(api, symbol="AAPL", side="buy", quantity="1")

    assert r.status_code == 201
    assert r.json()["data"]["status"] == "OPEN"
    assert Decimal(r.json()["data"]["entry_price"]) > 0


def test_a_market_order_is_refused_while_the_market_is_closed(
    client_for, alice, account, aapl, settings
):
    settings.SIMULATED_MARKET_HOURS = "nyse"
    with time_machine.travel(SATURDAY, tick=False):
        api = client_for(alice)
        quote("AAPL", "99.98", "100.00")
        r = place(api, symbol="AAPL", side="buy", quantity="1")
    assert_refused(r, 400, "MARKET_CLOSED")


def test_crypto_trades_while_the_stock_market_is_closed(client_for, alice, account, btc, settings):
    settings.SIMULATED_MARKET_HOURS = "nyse"
    with time_machine.travel(SATURDAY, tick=False):
        api = client_for(alice)
        quote("BTC/USD", "60000", "60010")
        r = place(api, symbol="BTC/USD", side="buy", quantity="0.1")
    assert r.json()["data"]["status"] == "OPEN"


def test_a_limit_order_may_rest_while_the_market_is_closed(
    client_for, alice, account, aapl, settings
):
    settings.SIMULATED_MARKET_HOURS = "nyse"
    with time_machine.travel(SATURDAY, tick=False):
        api = client_for(alice)
        quote("AAPL", "98.00", "98.02")  # crosses the limit, but the market is closed
        r = place(api, symbol="AAPL", side="buy", quantity="1", order_type="limit",
                  limit_price="99")  # fmt: skip
    assert (r.status_code, r.json()["data"]["status"]) == (201, "PENDING")


def test_no_active_account_is_refused(api, alice, quoted):
    AccountFactory(user=alice, status="FAILED")
    r = place(api, symbol="AAPL", side="buy", quantity="1")
    assert_refused(r, 400, "NO_ACTIVE_ACCOUNT")


def test_another_users_account_is_not_found(api, bob_account, quoted):
    r = place(api, account_id=bob_account.pk, symbol="AAPL", side="buy", quantity="1")
    assert_refused(r, 404, "NOT_FOUND")


def test_a_failed_account_cannot_trade(api, alice, quoted):
    failed = AccountFactory(user=alice, status="FAILED")
    r = place(api, account_id=failed.pk, symbol="AAPL", side="buy", quantity="1")
    assert_refused(r, 409, "ACCOUNT_NOT_TRADABLE")


def test_an_anonymous_request_is_refused(api_client, account, quoted):
    r = place(api_client, symbol="AAPL", side="buy", quantity="1")
    assert r.status_code == 401


@pytest.mark.parametrize("quantity", ["٣", "１", "1٠", "²"])
def test_a_quantity_in_non_ascii_digits_is_refused(api, account, quoted, quantity):
    r = place(api, symbol="AAPL", side="buy", quantity=quantity)
    assert_refused(r, 400, "VALIDATION_ERROR", "quantity")


def test_a_limit_price_in_non_ascii_digits_is_refused(api, account, quoted):
    r = place(api, symbol="AAPL", side="buy", quantity="1", order_type="limit", limit_price="٩٩")
    assert_refused(r, 400, "VALIDATION_ERROR", "limit_price")


def test_an_account_id_in_non_ascii_digits_is_refused(api, account, quoted):
    r = place(
        api,
        symbol="AAPL",
        side="buy",
        quantity="1",
        account_id=str(account.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
    )
    assert_refused(r, 400, "VALIDATION_ERROR", "account_id")
