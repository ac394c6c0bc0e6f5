"""The Alpaca provider through alpaca-py itself, against HTTP stubs shaped like Alpaca's real
answers: assets, paginated bars, latest quotes and trades, clock, calendar and failures."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests

from core.providers import ProviderUnavailable
from core.providers.alpaca import AlpacaProvider
from core.tests import alpaca_stubs as stubs
from core.timeframes import BY_CODE

START = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
END = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def test_the_factory_picks_alpaca_when_keys_are_set(alpaca):
    assert isinstance(alpaca, AlpacaProvider)
    assert alpaca.feed == "iex"


def test_assets_of_both_classes_are_listed(alpaca, http):
    stubs.stub_assets(http)
    assets = {a.symbol: a for a in alpaca.list_assets()}
    assert set(assets) == {"AAPL", "OLDCO", "BTC/USD"}
    assert assets["AAPL"].asset_class == "us_equity"
    assert assets["AAPL"].exchange == "NASDAQ"
    assert assets["AAPL"].shortable and assets["AAPL"].easy_to_borrow
    assert assets["AAPL"].provider_id == stubs.AAPL_ASSET["id"]
    assert assets["OLDCO"].status == "inactive"
    assert assets["BTC/USD"].asset_class == "crypto"
    assert http.calls[0].request.headers["APCA-API-KEY-ID"] == "PKTEST"


def test_stock_bars_follow_the_page_token_and_become_decimals(alpaca, http):
    stubs.stub_bars(
        http,
        "AAPL",
        [
            [stubs.bar("2026-11-24T14:30:00Z", 230.1, 230.5, 229.9, 230.25, 15300)],
            [stubs.bar("2026-11-24T14:31:00Z", 230.25, 230.3, 230.0, 230.05, 9100.5)],
        ],
    )
    bars = alpaca.get_bars("AAPL", timeframe=BY_CODE["1T"], start=START, end=END)
    assert [b.timestamp for b in bars] == [START, START.replace(minute=31)]
    assert bars[0].close == Decimal("230.25")
    assert bars[1].volume == Decimal("9100.5")
    assert bars[0].trade_count == 120
    first, second = (call.request.url for call in http.calls)
    assert "timeframe=1Min" in first and "feed=iex" in first and "symbols=AAPL" in first
    assert "page_token=page1" in second


@pytest.mark.parametrize(("code", "alpaca_tf"), [("4H", "4Hour"), ("1D", "1Day"), ("15T", "15Min")])
def test_timeframes_map_to_alpacas_names(alpaca, http, code, alpaca_tf):
    stubs.stub_bars(http, "AAPL", [[]])
    alpaca.get_bars("AAPL", timeframe=BY_CODE[code], start=START, end=END)
    assert f"timeframe={alpaca_tf}" in http.calls[0].request.url


def test_crypto_bars_come_from_the_crypto_endpoint(alpaca, http):
    stubs.stub_bars(
        http,
        "BTC/USD",
        [[stubs.bar("2026-11-24T14:30:00Z", 95000, 95100, 94950, 95050.5, 1.25)]],
        crypto=True,
    )
    bars = alpaca.get_bars("BTC/USD", timeframe=BY_CODE["1T"], start=START, end=END)
    assert bars[0].close == Decimal("95050.5")
    assert "/v1beta3/crypto/us/bars" in http.calls[0].request.url


def test_latest_quotes_combine_bid_ask_with_the_last_trade(alpaca, http):
    stubs.stub_latest(
        http,
        {
            "AAPL": stubs.stock_quote("2026-11-25T15:33:05.123456789Z", 230.1, 230.2),
            "MSFT": stubs.stock_quote("2026-11-25T15:33:04Z", 430.0, 0),  # IEX had no ask
        },
        {
            "AAPL": stubs.stock_trade("2026-11-25T15:33:06Z", 230.15),
            "MSFT": stubs.stock_trade("2026-11-25T15:33:01Z", 430.05),
        },
    )
    stubs.stub_latest(
        http,
        {"BTC/USD": stubs.crypto_quote("2026-11-25T15:33:06Z", 95000.1, 95010.9)},
        {"BTC/USD": stubs.crypto_trade("2026-11-25T15:33:02Z", 95005)},
        crypto=True,
    )
    quotes = alpaca.get_latest_quotes(["AAPL", "MSFT", "BTC/USD"])
    aapl = quotes["AAPL"]
    assert (aapl.bid, aapl.ask, aapl.last) == (
        Decimal("230.1"),
        Decimal("230.2"),
        Decimal("230.15"),
    )
    assert aapl.timestamp == datetime(2026, 11, 25, 15, 33, 6, tzinfo=UTC)
    assert quotes["MSFT"].ask == Decimal("430.05")  # never a zero ask
    assert quotes["BTC/USD"].last == Decimal("95005")
    assert "feed=iex" in http.calls[0].request.url


def test_the_clock_is_read_in_utc(alpaca, http):
    http.get(f"{stubs.TRADING}/clock", json=stubs.CLOCK_OPEN)
    clock = alpaca.get_clock()
    assert clock.is_open
    assert clock.next_close == datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    assert clock.next_open == datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


def test_the_calendar_reads_new_york_wall_clock_times(alpaca, http):
    http.get(f"{stubs.TRADING}/calendar", json=stubs.CALENDAR)
    sessions = alpaca.get_calendar(date(2026, 11, 25), date(2026, 11, 27))
    assert sessions[0].open == datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    assert sessions[1].close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # early close
    assert "start=2026-11-25" in http.calls[0].request.url


def test_every_request_has_a_timeout(alpaca, http):
    http.get(f"{stubs.TRADING}/clock", json=stubs.CLOCK_OPEN)
    alpaca.get_clock()
    assert http.calls[0].request.req_kwargs["timeout"] == 10.0


def test_a_rate_limit_is_waited_out_as_alpaca_asks(alpaca, http):
    waits = []
    alpaca._sleep = waits.append
    http.get(
        f"{stubs.TRADING}/clock", status=429, json=stubs.RATE_LIMITED, headers={"Retry-After": "1"}
    )
    http.get(f"{stubs.TRADING}/clock", json=stubs.CLOCK_OPEN)
    assert alpaca.get_clock().is_open
    assert waits == [1.0]


def test_a_long_rate_limit_fails_fast_instead_of_blocking(alpaca, http):
    waits = []
    alpaca._sleep = waits.append
    http.get(
        f"{stubs.TRADING}/clock", status=429, json=stubs.RATE_LIMITED, headers={"Retry-After": "60"}
    )
    with pytest.raises(ProviderUnavailable) as caught:
        alpaca.get_clock()
    assert caught.value.code == "MARKET_DATA_UNAVAILABLE"
    assert waits == []
    assert len(http.calls) == 1


def test_server_errors_are_retried_a_bounded_number_of_times(alpaca, http):
    http.get(f"{stubs.TRADING}/clock", status=503, body="upstream unavailable")
    with pytest.raises(ProviderUnavailable):
        alpaca.get_clock()
    assert len(http.calls) == alpaca.max_attempts == 3


def test_a_timeout_fails_at_once(alpaca, http):
    http.get(f"{stubs.TRADING}/clock", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ProviderUnavailable):
        alpaca.get_clock()
    assert len(http.calls) == 1


def test_bad_keys_make_the_market_unavailable(alpaca, http):
    http.get(f"{stubs.TRADING}/assets", status=401, json=stubs.UNAUTHORIZED)
    with pytest.raises(ProviderUnavailable):
        alpaca.list_assets()
    assert alpaca.status() == {"provider": "alpaca", "connected": False, "feed": "iex"}


def test_a_malformed_answer_is_a_provider_failure(alpaca, http):
    http.get(f"{stubs.TRADING}/clock", json={"unexpected": True})
    with pytest.raises(ProviderUnavailable):
        alpaca.get_clock()


def test_an_unstubbed_call_never_reaches_the_network(alpaca):
    with pytest.raises(ProviderUnavailable):
        alpaca.get_clock()
