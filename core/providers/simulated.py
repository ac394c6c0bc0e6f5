"""The simulated market: deterministic, offline, randomly accessible.

Every number is a pure function of (symbol, instant): random draws come from a counter-based
generator (splitmix64 over a key made of crc32 hashes of the symbol, the session and the
purpose), so any quote or bar is computed directly, on any machine, without generating history
from the beginning and without Python's per-process `hash()`.

The model, from the slow scale to the fast one:
- daily closes: a Brownian bridge between anchors every 32 days; anchors are drawn around the
  symbol's base price, so prices wander realistically (daily volatility 1.1-2.5 % for equities)
  but never drift away from plausible levels;
- one session: a Brownian bridge from the open (previous close, plus an overnight gap when the
  market is not continuous) to that day's close, at minute resolution, with U-shaped intraday
  variance and volume;
- one minute: a Brownian bridge between the two minute prices at second resolution. A quote at
  second s is that path's point; a minute bar's high/low are the path's extremes. Longer bars
  are aggregated from minute bars, so candles agree across timeframes and with the quotes at
  the same instants (a forming bar's close *is* the quote at that instant).
"""

import bisect
import math
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.nyse import nyse_is_open, nyse_next_close, nyse_next_open, nyse_schedule
from core.providers.base import (
    AssetInfo,
    Bar,
    MarketClock,
    MarketDataProvider,
    MarketSession,
    Quote,
    is_crypto_symbol,
)
from core.providers.universe import Listing, listing_for, listings
from core.timeframes import Timeframe

NEW_YORK = ZoneInfo("America/New_York")
BLOCK_DAYS = 32
SECONDS = 60
ANCHOR_SD = {"us_equity": 0.15, "crypto": 0.30}
OVERNIGHT_GAP = 0.3  # overnight gap sd, as a fraction of the daily volatility

# --- counter-based random numbers -------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _key(*parts) -> np.uint64:
    """64 bits from two crc32 passes: stable across machines, runs and Python versions."""
    text = "|".join(str(part) for part in parts).encode()
    return np.uint64((zlib.crc32(text) << 32) | zlib.crc32(text, 0x9E3779B9))


def _hashes(key: np.uint64, counters) -> np.ndarray:
    x = np.asarray(counters, dtype=np.uint64).ravel() * _GOLDEN  # wraps modulo 2**64
    x += key
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x


def _normals(key: np.uint64, counters) -> np.ndarray:
    """Standard normal draws number `counters` of the stream `key`: Box-Muller on the two
    32-bit halves of one splitmix64 hash per draw."""
    x = _hashes(key, counters)
    u1 = ((x >> np.uint64(32)).astype(np.float64) + 0.5) * (1.0 / 2**32)
    u2 = ((x & np.uint64(0xFFFFFFFF)).astype(np.float64) + 0.5) * (1.0 / 2**32)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


# --- the price process ------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _close_block(symbol: str, block: int) -> np.ndarray:
    """Log closes of days block*32 .. block*32+32, relative to the base price's log."""
    listing = listing_for(symbol)
    anchor_sd = ANCHOR_SD.get(listing.asset_class, 0.15)
    anchors = _normals(_key(symbol, "anchor"), [block, block + 1]) * anchor_sd
    steps = _normals(_key(symbol, "day", block), np.arange(BLOCK_DAYS)) * listing.daily_vol
    walk = np.concatenate(([0.0], np.cumsum(steps)))
    frac = np.arange(BLOCK_DAYS + 1) / BLOCK_DAYS
    return anchors[0] + walk - frac * walk[-1] + frac * (anchors[1] - anchors[0])


def _close_log(symbol: str, day: int) -> float:
    """Log price at the close of calendar day `day` (a proleptic ordinal)."""
    return math.log(listing_for(symbol).base_price) + float(
        _close_block(symbol, day // BLOCK_DAYS)[day % BLOCK_DAYS]
    )


def _intraday_weights(minutes: int) -> np.ndarray:
    """U-shaped: busy at the open and the close, quiet at midday (sums to 1)."""
    x = (np.arange(minutes) + 0.5) / minutes
    weights = 1.0 + 2.0 * (2.0 * x - 1.0) ** 2
    return weights / weights.sum()


@lru_cache(maxsize=4096)
def _minute_path(symbol: str, day: int, minutes: int, gap: bool):
    """Log prices at each minute boundary of a session (minutes + 1 points), per-minute sd."""
    listing = listing_for(symbol)
    close = _close_log(symbol, day)
    opening = _close_log(symbol, day - 1)
    if gap:
        opening += (
            OVERNIGHT_GAP * listing.daily_vol * float(_normals(_key(symbol, "gap"), [day])[0])
        )
    variance = listing.daily_vol**2 * _intraday_weights(minutes)
    sd = np.sqrt(variance)
    walk = np.concatenate(
        ([0.0], np.cumsum(_normals(_key(symbol, "min", day), np.arange(minutes)) * sd))
    )
    clock = np.concatenate(([0.0], np.cumsum(variance))) / variance.sum()
    path = opening + walk - clock * walk[-1] + clock * (close - opening)
    path.flags.writeable = False
    return path, sd


def _second_paths(symbol: str, day: int, path, sd, rows: np.ndarray) -> np.ndarray:
    """Prices at each second of the given minutes: shape (len(rows), 61). One code path for
    quotes and for bars, so both give bit-identical numbers."""
    counters = rows[:, None].astype(np.uint64) * np.uint64(SECONDS) + np.arange(
        SECONDS, dtype=np.uint64
    )
    steps = _normals(_key(symbol, "sec", day), counters.ravel()).reshape(len(rows), SECONDS)
    steps *= (sd[rows] / math.sqrt(SECONDS))[:, None]
    walk = np.concatenate((np.zeros((len(rows), 1)), np.cumsum(steps, axis=1)), axis=1)
    frac = np.arange(SECONDS + 1) / SECONDS
    start, stop = path[rows][:, None], path[rows + 1][:, None]
    return np.exp(start + walk - frac * walk[:, -1:] + frac * (stop - start))


@lru_cache(maxsize=4096)
def _minute_volumes(symbol: str, day: int, minutes: int) -> np.ndarray:
    listing = listing_for(symbol)
    noise = np.exp(0.5 * _normals(_key(symbol, "vol", day), np.arange(minutes)) - 0.125)
    volumes = listing.daily_volume * _intraday_weights(minutes) * noise
    volumes = np.floor(volumes) if listing.asset_class == "us_equity" else np.round(volumes, 4)
    volumes.flags.writeable = False
    return volumes


# ~57 kB a session: the cache holds the sessions being charted right now.
@lru_cache(maxsize=256)
def _session_minute_bars(symbol: str, day: int, minutes: int, gap: bool) -> np.ndarray:
    """Every minute bar of a whole session: columns open, high, low, close, volume."""
    path, sd = _minute_path(symbol, day, minutes, gap)
    prices = _second_paths(symbol, day, path, sd, np.arange(minutes))
    bars = np.column_stack(
        (
            prices[:, 0],
            prices.max(axis=1),
            prices.min(axis=1),
            prices[:, -1],
            _minute_volumes(symbol, day, minutes),
        )
    )
    bars.flags.writeable = False
    return bars


def caches_clear() -> None:
    """Forgets every memoised path (a cold start, for the tests and the benchmark)."""
    for memoised in (_close_block, _minute_path, _minute_volumes, _session_minute_bars):
        memoised.cache_clear()


# --- sessions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Session:
    day: date
    open: datetime
    close: datetime
    gap: bool  # an overnight gap before the open (markets that close)
    label_tz: tzinfo  # the daily bar is stamped at midnight of the session's date here

    @property
    def minutes(self) -> int:
        return int((self.close - self.open).total_seconds()) // 60

    @property
    def daily_stamp(self) -> datetime:
        return datetime.combine(self.day, time(0), self.label_tz).astimezone(UTC)


def _utc_day(day: date) -> _Session:
    start = datetime.combine(day, time(0), UTC)
    return _Session(day, start, start + timedelta(days=1), False, UTC)


def _nyse_session(index: int) -> _Session:
    days, opens, closes = nyse_schedule()
    return _Session(days[index], opens[index], closes[index], True, NEW_YORK)


def _price(value: float, decimals: int) -> Decimal:
    return Decimal(f"{value:.{decimals}f}")


def _volume(value: float, listing: Listing) -> Decimal:
    return (
        Decimal(f"{value:.0f}") if listing.asset_class == "us_equity" else Decimal(f"{value:.4f}")
    )


class SimulatedProvider(MarketDataProvider):
    name = "simulated"
    feed = "simulated"

    def __init__(self, *, market_hours: str = "always", clock=None):
        if market_hours not in ("always", "nyse"):
            raise ImproperlyConfigured("SIMULATED_MARKET_HOURS must be 'always' or 'nyse'.")
        self.market_hours = market_hours
        self._clock = clock or timezone.now

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _continuous(self, symbol: str) -> bool:
        return self.market_hours == "always" or is_crypto_symbol(symbol)

    def is_continuous(self, symbol: str) -> bool:
        return self._continuous(symbol)

    # -- sessions

    def _sessions(self, symbol: str, start: datetime, end: datetime) -> list[_Session]:
        """Sessions overlapping [start, end]."""
        if self._continuous(symbol):
            first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
            return [_utc_day(first + timedelta(days=i)) for i in range((last - first).days + 1)]
        _, opens, closes = nyse_schedule()
        lo = bisect.bisect_right(closes, start)
        hi = bisect.bisect_right(opens, end)
        return [_nyse_session(i) for i in range(lo, hi)]

    def _session_at(self, symbol: str, instant: datetime) -> tuple[_Session | None, bool]:
        """(session holding `instant`, True) or (the last session before it, False)."""
        if self._continuous(symbol):
            return _utc_day(instant.astimezone(UTC).date()), True
        _, opens, closes = nyse_schedule()
        index = bisect.bisect_right(opens, instant) - 1
        if index < 0:
            return None, False
        return _nyse_session(index), instant < closes[index]

    # -- interface

    def list_assets(self) -> list[AssetInfo]:
        return [
            AssetInfo(
                symbol=item.symbol,
                name=item.name,
                asset_class=item.asset_class,
                exchange=item.exchange,
                tradable=True,
                shortable=item.asset_class == "us_equity",
                fractionable=True,
                easy_to_borrow=item.asset_class == "us_equity",
                marginable=item.asset_class == "us_equity",
                provider_id=f"sim-{zlib.crc32(item.symbol.encode()):08x}",
            )
            for item in listings().values()
        ]

    def price_at(self, symbol: str, instant: datetime) -> tuple[float, datetime]:
        """The last traded price at `instant` and when it traded (the close when shut)."""
        session, is_open = self._session_at(symbol, instant)
        if session is None:
            return listing_for(symbol).base_price, instant
        day, minutes = session.day.toordinal(), session.minutes
        if not is_open:
            path, _ = _minute_path(symbol, day, minutes, session.gap)
            return math.exp(path[-1]), session.close
        elapsed = int((instant - session.open).total_seconds())
        minute, second = divmod(elapsed, SECONDS)
        path, sd = _minute_path(symbol, day, minutes, session.gap)
        seconds = _second_paths(symbol, day, path, sd, np.array([minute]))
        stamp = session.open + timedelta(seconds=elapsed)
        return float(seconds[0, second]), stamp

    def quote_at(self, symbol: str, instant: datetime) -> Quote:
        listing = listing_for(symbol)
        value, stamp = self.price_at(symbol, instant)
        last = _price(value, listing.decimals)
        tick = Decimal(1).scaleb(-listing.decimals)
        half = last * Decimal(str(listing.spread_bps)) / Decimal(20000)
        bid = (last - half).quantize(tick, rounding=ROUND_FLOOR)
        ask = (last + half).quantize(tick, rounding=ROUND_CEILING)
        return Quote(symbol=symbol, bid=bid, ask=ask, last=last, timestamp=stamp)

    def get_latest_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        now = self.now().replace(microsecond=0)
        return {symbol: self.quote_at(symbol, now) for symbol in dict.fromkeys(symbols)}

    def _session_minutes(self, symbol: str, session: _Session, until: datetime) -> np.ndarray:
        """The session's minute bars up to `until` (the last one partial when it forms)."""
        day, minutes = session.day.toordinal(), session.minutes
        bars = _session_minute_bars(symbol, day, minutes, session.gap)
        if until >= session.close:
            return bars
        elapsed = int((until - session.open).total_seconds())
        minute, second = divmod(max(elapsed, 0), SECONDS)
        path, sd = _minute_path(symbol, day, minutes, session.gap)
        prices = _second_paths(symbol, day, path, sd, np.array([minute]))[0, : second + 1]
        volume = _minute_volumes(symbol, day, minutes)[minute] * second / SECONDS
        volume = math.floor(volume) if listing_for(symbol).asset_class == "us_equity" else volume
        forming = [prices[0], prices.max(), prices.min(), prices[-1], volume]
        return np.vstack((bars[:minute], np.array([forming])))

    def get_bars(
        self, symbol: str, *, timeframe: Timeframe, start: datetime, end: datetime
    ) -> list[Bar]:
        now = self.now()
        end = min(end, now)  # the simulated future exists, but nobody may see it
        if start > end:
            return []
        listing = listing_for(symbol)
        rows: list[tuple[datetime, np.ndarray]] = []
        for session in self._sessions(symbol, start, end):
            # `end` picks bars by their start, as Alpaca's does; a bar holds everything up to
            # now whatever `end` was, so a range cut mid-bar never stores a partial bar.
            minute_bars = self._session_minutes(symbol, session, now)
            if not len(minute_bars):
                continue
            if timeframe.is_daily:
                rows.append((session.daily_stamp, _aggregate(minute_bars)))
                continue
            open_epoch = int(session.open.timestamp())
            starts = open_epoch + SECONDS * np.arange(len(minute_bars))
            buckets = starts - starts % (timeframe.minutes * SECONDS)
            firsts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
            bounds = np.r_[firsts, len(minute_bars)]
            # Only the bars asked for are aggregated: the chart's poll asks for the forming
            # bar, which is one of up to 1,440 in a session (7 ms of numpy for all of them).
            wanted = (buckets[firsts] >= start.timestamp()) & (buckets[firsts] <= end.timestamp())
            for k in np.flatnonzero(wanted):
                lo, hi = bounds[k], bounds[k + 1]
                stamp = datetime.fromtimestamp(int(buckets[lo]), tz=UTC)
                rows.append((stamp, _aggregate(minute_bars[lo:hi])))
        return [
            Bar(
                timestamp=stamp,
                open=_price(values[0], listing.decimals),
                high=_price(values[1], listing.decimals),
                low=_price(values[2], listing.decimals),
                close=_price(values[3], listing.decimals),
                volume=_volume(values[4], listing),
            )
            for stamp, values in rows
            if start <= stamp <= end
        ]

    def get_clock(self) -> MarketClock:
        now = self.now()
        if self.market_hours == "always":
            # Back-to-back sessions of one UTC day: the one in progress closes at midnight and
            # the next opens at that same instant (Alpaca's meaning of next_open: the session
            # after the current one). market_session_close() agrees.
            midnight = datetime.combine(now.date() + timedelta(days=1), time(0), UTC)
            return MarketClock(timestamp=now, is_open=True, next_open=midnight, next_close=midnight)
        is_open = nyse_is_open(now)
        return MarketClock(
            timestamp=now,
            is_open=is_open,
            next_open=nyse_next_open(now),
            next_close=nyse_next_close(now),
        )

    def get_calendar(self, start: date, end: date) -> list[MarketSession]:
        if self.market_hours == "always":
            days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            sessions = [_utc_day(day) for day in days]
        else:
            days, _, _ = nyse_schedule()
            lo, hi = bisect.bisect_left(days, start), bisect.bisect_right(days, end)
            sessions = [_nyse_session(i) for i in range(lo, hi)]
        return [MarketSession(date=s.day, open=s.open, close=s.close) for s in sessions]


def _aggregate(minute_bars: np.ndarray) -> np.ndarray:
    return np.array(
        (
            minute_bars[0, 0],
            minute_bars[:, 1].max(),
            minute_bars[:, 2].min(),
            minute_bars[-1, 3],
            minute_bars[:, 4].sum(),
        )
    )
