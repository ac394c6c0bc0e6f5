"""The simulated market: deterministic, randomly accessible, statistically sane, and its bars
agree with its quotes and with each other across timeframes."""

import itertools
import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.providers import simulated
from core.providers.simulated import SimulatedProvider
from core.providers.universe import listings
from core.timeframes import BY_CODE, TIMEFRAMES

NOW = datetime(2026, 11, 25, 15, 33, 7, tzinfo=UTC)  # Wednesday 10:33 New York


def market(at=NOW, hours="always"):
    return SimulatedProvider(market_hours=hours, clock=lambda: at)


def test_the_universe_has_real_equities_and_a_few_crypto_pairs():
    items = listings().values()
    equities = [i for i in items if i.asset_class == "us_equity"]
    cryptos = [i for i in items if i.asset_class == "crypto"]
    assert len(equities) >= 50
    assert {"AAPL", "MSFT", "NVDA", "SPY"} <= {i.symbol for i in equities}
    assert {"BTC/USD", "ETH/USD"} <= {i.symbol for i in cryptos}
    assert listings()["AAPL"].name == "Apple Inc."
    assert listings()["AAPL"].exchange == "NASDAQ"


def test_the_same_symbol_and_instant_give_the_same_quote_every_time():
    first = market().get_latest_quotes(["AAPL", "BTC/USD"])
    simulated.caches_clear()
    second = market().get_latest_quotes(["AAPL", "BTC/USD"])
    assert first == second


def test_prices_are_pinned_so_every_machine_sees_the_same_history():
    # Computed from crc32 + splitmix64 alone (no process-dependent state): changing the model
    # changes everyone's stored candles, so a change here must be deliberate.
    instant = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    quote = market(instant).quote_at("AAPL", instant)
    assert (quote.bid, quote.last, quote.ask) == (
        Decimal("261.04"),
        Decimal("261.11"),
        Decimal("261.18"),
    )


def test_any_instant_is_computed_directly_without_generating_history():
    far = datetime(2031, 6, 2, 14, 0, 30, tzinfo=UTC)
    simulated.caches_clear()
    quote = market(far).quote_at("MSFT", far)
    # Two blocks of closes, no walk from 1970. (How fast: bench/simulated_quotes.py.)
    assert simulated._close_block.cache_info().currsize <= 3
    assert quote.last > 0


def test_quotes_have_a_positive_spread_around_the_last_price():
    quotes = market().get_latest_quotes(list(listings()))
    for quote in quotes.values():
        assert quote.bid < quote.last < quote.ask
        assert quote.timestamp == NOW


def test_well_known_tickers_trade_near_plausible_levels():
    quotes = market().get_latest_quotes(["AAPL", "MSFT", "BTC/USD"])
    assert Decimal(100) < quotes["AAPL"].last < Decimal(500)
    assert Decimal(200) < quotes["MSFT"].last < Decimal(900)
    assert Decimal(30000) < quotes["BTC/USD"].last < Decimal(200000)


@pytest.mark.parametrize("symbol", ["AAPL", "JPM", "XOM", "BTC/USD"])
def test_daily_volatility_is_realistic(symbol):
    bars = market().get_bars(
        symbol, timeframe=BY_CODE["1D"], start=NOW - timedelta(days=250), end=NOW
    )
    closes = [float(bar.close) for bar in bars]
    returns = [math.log(b / a) for a, b in itertools.pairwise(closes)]
    sd = statistics.stdev(returns)
    low, high = (0.02, 0.06) if "/" in symbol else (0.007, 0.035)
    assert low < sd < high
    assert max(closes) / min(closes) < 3  # wanders, never trends away


def test_intraday_volume_is_u_shaped():
    bars = market(NOW + timedelta(days=1)).get_bars(
        "AAPL",
        timeframe=BY_CODE["1H"],
        start=NOW.replace(hour=0, minute=0, second=0),
        end=NOW.replace(hour=23, minute=59),
    )
    volumes = [float(bar.volume) for bar in bars]
    assert len(volumes) == 24
    edges = statistics.mean(volumes[:3] + volumes[-3:])
    middle = statistics.mean(volumes[10:14])
    assert edges > 1.5 * middle


def test_the_forming_bar_closes_at_the_quote_of_the_same_instant():
    for tf in TIMEFRAMES:
        bars = market().get_bars("AAPL", timeframe=tf, start=NOW - tf.delta, end=NOW)
        quote = market().quote_at("AAPL", NOW)
        assert bars[-1].close == quote.last, tf
        assert bars[-1].low <= quote.last <= bars[-1].high


def test_every_quote_of_a_minute_lies_inside_that_minute_bar():
    minute = NOW.replace(second=0)
    bar = market(minute + timedelta(minutes=2)).get_bars(
        "TSLA", timeframe=BY_CODE["1T"], start=minute, end=minute + timedelta(minutes=1)
    )[0]
    prices = [market().quote_at("TSLA", minute + timedelta(seconds=s)).last for s in range(60)]
    assert bar.open == prices[0]
    assert bar.high == max([*prices, bar.close])
    assert bar.low == min([*prices, bar.close])
    assert bar.close == market().quote_at("TSLA", minute + timedelta(minutes=1)).last


@pytest.mark.parametrize("code", ["5T", "15T", "30T", "1H", "4H", "1D"])
def test_longer_bars_aggregate_the_minute_bars(code):
    tf = BY_CODE[code]
    day_start = datetime(2026, 11, 24, tzinfo=UTC)
    provider = market()
    minutes = provider.get_bars(
        "NVDA",
        timeframe=BY_CODE["1T"],
        start=day_start,
        end=day_start + timedelta(hours=23, minutes=59),
    )
    longer = provider.get_bars(
        "NVDA", timeframe=tf, start=day_start, end=day_start + timedelta(hours=23, minutes=59)
    )
    for bar in longer:
        inside = [m for m in minutes if bar.timestamp <= m.timestamp < bar.timestamp + tf.delta]
        assert bar.open == inside[0].open
        assert bar.close == inside[-1].close
        assert bar.high == max(m.high for m in inside)
        assert bar.low == min(m.low for m in inside)
        assert bar.volume == sum(m.volume for m in inside)


@pytest.mark.parametrize("code", ["1T", "5T", "1D"])
def test_a_range_that_ends_mid_bar_still_gives_the_whole_bar(code):
    """A bar is picked by its start, as Alpaca's are, and holds everything up to now: a
    request that stops seven seconds into a bar must not store that bar cut short (the
    candle store would then answer differently depending on earlier requests)."""
    tf = BY_CODE[code]
    later = market(NOW + timedelta(days=2))
    whole = later.get_bars("MSFT", timeframe=tf, start=NOW - 3 * tf.delta, end=NOW + tf.delta)
    cut = later.get_bars("MSFT", timeframe=tf, start=NOW - 3 * tf.delta, end=NOW)
    assert cut == [bar for bar in whole if bar.timestamp <= NOW]
    assert cut[-1].timestamp <= NOW < cut[-1].timestamp + tf.delta


def test_bars_never_reach_into_the_future():
    bars = market().get_bars(
        "AAPL",
        timeframe=BY_CODE["1T"],
        start=NOW - timedelta(minutes=5),
        end=NOW + timedelta(days=3),
    )
    assert bars[-1].timestamp == NOW.replace(second=0)


def test_the_always_market_is_open_on_a_sunday_night():
    sunday = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    clock = market(sunday).get_clock()
    assert clock.is_open
    assert market(sunday).quote_at("AAPL", sunday).timestamp == sunday


def test_with_nyse_hours_equities_are_shut_on_thanksgiving():
    thanksgiving = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    provider = market(thanksgiving, "nyse")
    clock = provider.get_clock()
    assert not clock.is_open
    assert clock.next_open == datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    # The day after closes early, at 13:00 New York.
    assert clock.next_close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    quote = provider.quote_at("AAPL", thanksgiving)
    assert quote.timestamp == datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # Wednesday's close
    assert (
        provider.get_bars(
            "AAPL",
            timeframe=BY_CODE["1T"],
            start=thanksgiving - timedelta(hours=3),
            end=thanksgiving,
        )
        == []
    )


def test_with_nyse_hours_crypto_still_trades():
    thanksgiving = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    quote = market(thanksgiving, "nyse").quote_at("BTC/USD", thanksgiving)
    assert quote.timestamp == thanksgiving


def test_with_nyse_hours_a_session_has_390_minute_bars_and_one_daily_bar():
    end = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    provider = market(end, "nyse")
    day = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # midnight in New York
    minutes = provider.get_bars("AAPL", timeframe=BY_CODE["1T"], start=day, end=end)
    daily = provider.get_bars("AAPL", timeframe=BY_CODE["1D"], start=day, end=end)
    assert len(minutes) == 390
    assert minutes[0].timestamp == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert [bar.timestamp for bar in daily] == [day]
    assert daily[0].close == minutes[-1].close


def test_the_calendar_lists_nyse_sessions_with_early_closes():
    from datetime import date

    sessions = market(hours="nyse").get_calendar(date(2026, 11, 25), date(2026, 11, 30))
    assert [s.date for s in sessions] == [
        date(2026, 11, 25),
        date(2026, 11, 27),
        date(2026, 11, 30),
    ]
    assert sessions[1].close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("setting", "value", "sentence"),
    [
        ("SIMULATED_MARKET_HOURS", "weekdays", "SIMULATED_MARKET_HOURS is 'weekdays'; it must"),
        ("MARKET_DATA_PROVIDER", "polygon", "MARKET_DATA_PROVIDER is 'polygon'; it must"),
        ("MARKET_DATA_PROVIDER", "alpaca", "needs APCA_API_KEY and APCA_API_SECRET_KEY"),
    ],
)
def test_a_misconfigured_market_stops_start_up_with_a_sentence(settings, setting, value, sentence):
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    setattr(settings, setting, value)
    with pytest.raises(ImproperlyConfigured, match=sentence):
        apps.get_app_config("core").ready()


def test_the_configured_market_starts_up(settings):
    from django.apps import apps

    settings.SIMULATED_MARKET_HOURS = "NYSE"  # case does not matter
    apps.get_app_config("core").ready()


@pytest.mark.parametrize("hours", ["always", "nyse"])
@pytest.mark.parametrize("code", ["1T", "5T", "1H"])
def test_any_window_holds_exactly_the_bars_of_the_whole_day_that_start_in_it(code, hours):
    """Only the bars a window asks for are aggregated (the chart's poll asks for the
    forming one): every window, however it cuts the day's buckets, must give the same bars
    as the whole day filtered by their start."""
    tf = BY_CODE[code]
    provider = market(hours=hours)
    day = datetime(2026, 11, 25, tzinfo=UTC)
    whole = provider.get_bars("AAPL", timeframe=tf, start=day, end=NOW)
    assert whole
    edges = [day, NOW - timedelta(hours=2, seconds=30), NOW - timedelta(minutes=7), NOW,
             NOW.replace(second=0), NOW - timedelta(minutes=1, microseconds=1)]  # fmt: skip
    for start, end in itertools.permutations(edges, 2):
        if start <= end:
            got = provider.get_bars("AAPL", timeframe=tf, start=start, end=end)
            assert got == [bar for bar in whole if start <= bar.timestamp <= end], (start, end)
