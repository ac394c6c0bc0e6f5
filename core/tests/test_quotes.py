"""GET /assets/{id}/quote/, GET /market/clock/, the quote cache, refresh and the hooks."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core import hooks
from core.models import WatchList, WatchListAsset
from core.quotes import Quote, quotes_get, quotes_store
from core.services.quotes import quotes_refresh
from core.tests import alpaca_stubs as stubs
from core.tests.conftest import NOW


def quote_url(asset):
    return f"/api/core/assets/{asset.id}/quote/"


def test_a_quote_has_bid_ask_last_and_its_age(alice, client_for, aapl, frozen):
    response = client_for(alice).get(quote_url(aapl))
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"symbol", "bid", "ask", "last", "timestamp", "age_seconds", "stale"}
    assert Decimal(data["bid"]) < Decimal(data["last"]) < Decimal(data["ask"])
    assert data["timestamp"] == "2026-11-25T15:33:07Z"
    assert data["age_seconds"] == 0.0 and data["stale"] is False


def test_the_quote_is_cached_for_every_consumer(alice, client_for, aapl, frozen):
    client_for(alice).get(quote_url(aapl))
    assert quotes_get(["AAPL"])["AAPL"].timestamp == NOW


def test_an_old_quote_is_reported_stale_when_the_provider_is_down(
    alice, client_for, aapl, frozen, alpaca, http
):
    old = Quote("AAPL", Decimal("250.00"), Decimal("250.10"), Decimal("250.05"), NOW)
    quotes_store([old])
    frozen.shift(timedelta(minutes=5))
    http.get(f"{stubs.DATA}/stocks/quotes/latest", status=500, body="boom")
    data = client_for(alice).get(quote_url(aapl)).json()["data"]
    assert data["stale"] is True
    assert data["age_seconds"] == 300.0
    assert data["last"] == 250.05


def test_no_quote_at_all_and_the_provider_down_is_a_503(
    alice, client_for, aapl, frozen, alpaca, http
):
    http.get(f"{stubs.DATA}/stocks/quotes/latest", body=ConnectionError("refused"))
    response = client_for(alice).get(quote_url(aapl))
    assert response.status_code == 503
    assert response.json()["code"] == "MARKET_DATA_UNAVAILABLE"
    assert quotes_get(["AAPL"]) == {}


def test_alpaca_quotes_are_served_when_keys_are_set(alice, client_for, aapl, frozen, alpaca, http):
    stubs.stub_latest(
        http,
        {"AAPL": stubs.stock_quote("2026-11-25T15:33:05Z", 230.1, 230.2)},
        {"AAPL": stubs.stock_trade("2026-11-25T15:33:06Z", 230.15)},
    )
    data = client_for(alice).get(quote_url(aapl)).json()["data"]
    assert (data["bid"], data["ask"], data["last"]) == (230.1, 230.2, 230.15)
    assert data["age_seconds"] == 1.0


def test_an_unknown_asset_has_no_quote(alice, client_for, frozen, db):
    assert client_for(alice).get("/api/core/assets/31337/quote/").status_code == 404


def test_quotes_need_a_signed_in_user(api_client, aapl):
    assert api_client.get(quote_url(aapl)).status_code == 401


def test_the_always_open_clock_closes_and_reopens_at_the_next_utc_midnight(
    alice, client_for, frozen, aapl
):
    from core.market import market_session_close

    data = client_for(alice).get("/api/core/market/clock/").json()["data"]
    assert market_session_close(aapl, NOW).isoformat() == "2026-11-26T00:00:00+00:00"
    assert data == {
        "is_open": True,
        "next_open": "2026-11-26T00:00:00Z",
        "next_close": "2026-11-26T00:00:00Z",
        "timestamp": "2026-11-25T15:33:07Z",
    }


def test_the_nyse_clock_on_thanksgiving(alice, client_for, frozen, settings):
    settings.SIMULATED_MARKET_HOURS = "nyse"
    frozen.move_to(NOW + timedelta(days=1))
    data = client_for(alice).get("/api/core/market/clock/").json()["data"]
    assert data["is_open"] is False
    assert data["next_open"] == "2026-11-27T14:30:00Z"


def test_the_alpaca_clock_is_served_and_cached(alice, client_for, frozen, alpaca, http):
    http.get(f"{stubs.TRADING}/clock", json=stubs.CLOCK_OPEN)
    client = client_for(alice)
    first = client.get("/api/core/market/clock/").json()["data"]
    client.get("/api/core/market/clock/")
    assert first["next_close"] == "2026-11-25T21:00:00Z"
    assert len(http.calls) == 1


def test_market_is_open_answers_per_asset(aapl, btc, settings):
    from core.market import market_is_open, market_session_close

    thanksgiving = NOW + timedelta(days=1)
    assert market_is_open(aapl, thanksgiving)  # simulated, always
    settings.SIMULATED_MARKET_HOURS = "nyse"
    assert not market_is_open(aapl, thanksgiving)
    assert market_is_open(btc, thanksgiving)
    assert market_session_close(aapl, NOW).isoformat() == "2026-11-25T21:00:00+00:00"


@pytest.fixture
def listener():
    calls = []
    hooks.register_quote_listener(calls.append)
    yield calls
    hooks.unregister_quote_listener(calls.append)


def test_a_refresh_stores_quotes_and_calls_the_listeners(frozen, listener, db):
    quotes = quotes_refresh(["MSFT", "AAPL"], notify=True)
    assert set(quotes_get(["AAPL", "MSFT"])) == {"AAPL", "MSFT"}
    assert listener == [["AAPL", "MSFT"]]
    assert quotes["AAPL"].timestamp == NOW


def test_a_failing_listener_does_not_stop_the_others(listener):
    def broken(symbols):
        raise RuntimeError("boom")

    hooks.register_quote_listener(broken)
    try:
        hooks.on_quotes(["AAPL"])
    finally:
        hooks.unregister_quote_listener(broken)
    assert listener == [["AAPL"]]


def test_symbols_that_matter_include_watchlists_and_registered_sources(alice, aapl, btc):
    watchlist = WatchList.objects.create(user=alice, name="Main", is_default=True)
    WatchListAsset.objects.create(watchlist=watchlist, asset=aapl)

    def positions():
        return ["TSLA"]

    hooks.register_symbol_source(positions)
    try:
        assert hooks.symbols_that_matter() == ["AAPL", "TSLA"]
    finally:
        hooks.unregister_symbol_source(positions)


def test_an_older_quote_never_replaces_a_newer_one():
    newer = Quote("AAPL", Decimal(1), Decimal(2), Decimal("1.5"), NOW)
    older = Quote("AAPL", Decimal(3), Decimal(4), Decimal("3.5"), NOW - timedelta(seconds=1))
    quotes_store([newer])
    quotes_store([older])
    assert quotes_get(["AAPL"])["AAPL"] == newer


def test_a_request_never_replaces_a_quote_the_stream_stored_after_it_read_its_own():
    """A request reads AAPL at t−2 into its memo; the stream then stores t; the request's own
    refresh brings t−1. The cache keeps t: the memo is no judge of what the cache holds."""
    from django.core.cache import cache

    from core.quotes import _KEY, _encode, quotes_memo

    def at(seconds_ago, price):
        return Quote("AAPL", Decimal(price), Decimal(price), Decimal(price),
                     NOW - timedelta(seconds=seconds_ago))  # fmt: skip

    quotes_store([at(2, "1")])
    with quotes_memo():
        assert quotes_get(["AAPL"])["AAPL"] == at(2, "1")
        cache.set(_KEY.format("AAPL"), _encode(at(0, "3")))  # the stream, another process
        quotes_store([at(1, "2")])
        assert quotes_get(["AAPL"])["AAPL"] == at(0, "3")  # the rest of the request too
    assert quotes_get(["AAPL"])["AAPL"] == at(0, "3")


# --- how often the provider is asked (Alpaca's 200 requests a minute) --------------------------

AFTER_HOURS = "2026-11-25T15:20:00Z"  # the last quote is 13 minutes old: it stays old


def provider_asks(http) -> int:
    return sum(1 for call in http.calls if "/quotes/latest" in call.request.url)


def test_an_old_quote_is_asked_for_once_per_live_window(
    alice, client_for, aapl, frozen, alpaca, http
):
    stubs.stub_latest(
        http,
        {"AAPL": stubs.stock_quote(AFTER_HOURS, 230.1, 230.2)},
        {"AAPL": stubs.stock_trade(AFTER_HOURS, 230.15)},
    )
    client = client_for(alice)
    for _ in range(5):  # the app polls every second or two
        assert client.get(quote_url(aapl)).json()["data"]["last"] == 230.15
        frozen.shift(timedelta(seconds=1))
    assert provider_asks(http) == 1
    client.get(quote_url(aapl))  # 5 s after the first ask
    assert provider_asks(http) == 2


def test_chart_polls_of_an_old_quote_ask_the_provider_once_per_live_window(
    alice, client_for, aapl, frozen, alpaca, http
):
    stubs.stub_latest(
        http,
        {"AAPL": stubs.stock_quote(AFTER_HOURS, 230.1, 230.2)},
        {"AAPL": stubs.stock_trade(AFTER_HOURS, 230.15)},
    )
    stubs.stub_bars(http, "AAPL", [[stubs.bar("2026-11-25T15:20:00Z", 230, 231, 229, 230.5, 1e4)]])
    client = client_for(alice)
    for _ in range(3):
        client.get(f"/api/core/assets/{aapl.id}/candles_v2/", {"tf": "1", "limit": 1})
        frozen.shift(timedelta(seconds=1))
    assert provider_asks(http) == 1


def test_a_failing_provider_is_not_asked_again_by_every_poll(
    alice, client_for, aapl, frozen, alpaca, http
):
    http.get(f"{stubs.DATA}/stocks/quotes/latest", status=500, body="boom")
    client = client_for(alice)
    assert client.get(quote_url(aapl)).status_code == 503
    asked = len(http.calls)
    assert client.get(quote_url(aapl)).status_code == 503
    assert len(http.calls) == asked


def test_orders_do_not_ask_again_for_a_symbol_asked_for_seconds_ago(frozen, alpaca, http, db):
    from core.services.quotes import quotes_ensure_fresh

    stubs.stub_latest(
        http,
        {"AAPL": stubs.stock_quote(AFTER_HOURS, 230.1, 230.2)},
        {"AAPL": stubs.stock_trade(AFTER_HOURS, 230.15)},
    )
    for _ in range(3):
        quotes_ensure_fresh(["AAPL"])
        frozen.shift(timedelta(seconds=1))
    assert provider_asks(http) == 1
    assert quotes_get(["AAPL"])["AAPL"].last == Decimal("230.15")
    frozen.shift(timedelta(seconds=2))
    quotes_ensure_fresh(["AAPL"])
    assert provider_asks(http) == 2


def test_the_clock_schema_documents_the_always_open_sessions(alice, client_for, db):
    schema = client_for(alice).get("/api/schema/", {"format": "json"}).json()
    clock = schema["components"]["schemas"]["MarketClock"]
    assert "same instant as next_close" in clock["properties"]["next_open"]["description"]


def test_the_embedded_cache_keeps_the_quotes_of_a_thousand_symbols(db):
    from datetime import UTC, datetime
    from decimal import Decimal

    from core.quotes import Quote, quotes_get, quotes_store

    now = datetime.now(UTC)
    symbols = [f"S{i:04d}" for i in range(1000)]
    quotes_store([Quote(s, Decimal("9.99"), Decimal("10.01"), Decimal("10"), now) for s in symbols])

    assert len(quotes_get(symbols)) == 1000


def test_a_request_waiting_on_a_first_quote_sees_it_once_the_symbol_counts_as_asked(
    frozen, alpaca, http, db, monkeypatch
):
    """The "asked recently" marker used to be written before the quote: a request arriving
    between the two found no quote and a provider it must not ask again (a 503, NO_PRICE)."""
    from django.core.cache import cache

    from core.services.quotes import quote_latest

    stubs.stub_latest(
        http,
        {"AAPL": stubs.stock_quote("2026-11-25T15:33:06Z", 230.1, 230.2)},
        {"AAPL": stubs.stock_trade("2026-11-25T15:33:06Z", 230.15)},
    )
    seen_by_the_waiter = []
    real_set_many = cache.set_many

    def set_many_then_a_second_request_reads(mapping, *args, **kwargs):
        result = real_set_many(mapping, *args, **kwargs)
        if any(key.startswith("core:quotes:asked:") for key in mapping):
            seen_by_the_waiter.append(quote_latest(symbol="AAPL"))
        return result

    monkeypatch.setattr(cache, "set_many", set_many_then_a_second_request_reads)

    first = quote_latest(symbol="AAPL")

    assert first is not None and first.last == Decimal("230.15")
    assert seen_by_the_waiter == [first]
    assert provider_asks(http) == 1
