"""With Alpaca configured as the firm's market, the Alpaca API serves Alpaca's own prices,
clock and calendar through core's layer (Alpaca stubbed at HTTP level with `responses`)."""

from datetime import UTC, datetime

import pytest
import responses
import time_machine
from rest_framework.test import APIClient

from core.tests import alpaca_stubs as stubs
from prop_firm.alpaca_api.keys import api_key_create
from prop_firm.tests.factories import AssetFactory, active_account

NOW = datetime(2026, 11, 25, 15, 33, 7, tzinfo=UTC)  # a Wednesday, the NYSE is open


@pytest.fixture
def http(settings):
    settings.MARKET_DATA_PROVIDER = "alpaca"
    settings.APCA_API_KEY = "PKTEST"
    settings.APCA_API_SECRET_KEY = "secret"
    settings.APCA_API_BASE_URL = "https://paper-api.alpaca.markets"
    settings.APCA_DATA_BASE_URL = "https://data.alpaca.markets"
    settings.APCA_DATA_FEED = "iex"
    from core.providers import get_provider

    get_provider()._sleep = lambda seconds: None
    with (
        time_machine.travel(NOW, tick=False),
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        yield mock


@pytest.fixture
def bot(http, alice):
    AssetFactory(symbol="AAPL")
    created = api_key_create(account=active_account(alice), user=alice)
    client = APIClient()
    client.credentials(
        HTTP_APCA_API_KEY_ID=created.api_key.key_id, HTTP_APCA_API_SECRET_KEY=created.secret_key
    )
    return client


def test_latest_quotes_and_trades_are_alpacas(bot, http):
    stubs.stub_latest(
        http,
        {"AAPL": stubs.stock_quote("2026-11-25T15:33:06Z", 189.10, 189.20)},
        {"AAPL": stubs.stock_trade("2026-11-25T15:33:06Z", 189.15)},
    )

    quote = bot.get("/alpaca/v2/stocks/quotes/latest?symbols=AAPL").json()["quotes"]["AAPL"]

    assert (quote["bp"], quote["ap"], quote["t"]) == (189.1, 189.2, "2026-11-25T15:33:06Z")
    trade = bot.get("/alpaca/v2/stocks/trades/latest?symbols=AAPL").json()["trades"]["AAPL"]
    assert trade["p"] == 189.15


def test_clock_and_calendar_are_alpacas(bot, http):
    http.get(f"{stubs.TRADING}/clock", json=stubs.CLOCK_OPEN)
    http.get(f"{stubs.TRADING}/calendar", json=stubs.CALENDAR)

    clock = bot.get("/alpaca/v2/clock").json()
    calendar = bot.get("/alpaca/v2/calendar?start=2026-11-25&end=2026-11-27").json()

    assert clock["is_open"] is True
    assert clock["next_close"] == "2026-11-25T21:00:00Z"
    assert [(d["date"], d["open"], d["close"]) for d in calendar] == [
        ("2026-11-25", "09:30", "16:00"),
        ("2026-11-27", "09:30", "13:00"),
    ]
