"""The Alpaca market through the official alpaca-py SDK.

alpaca-py calls used, per interface method:
- list_assets:        TradingClient.get_all_assets(GetAssetsRequest(asset_class=us_equity|crypto))
- get_bars:           StockHistoricalDataClient.get_stock_bars(StockBarsRequest(feed=...)) or
                      CryptoHistoricalDataClient.get_crypto_bars(CryptoBarsRequest); the SDK
                      follows `next_page_token` pages itself
- get_latest_quotes:  get_stock_latest_quote + get_stock_latest_trade (StockLatest*Request,
                      feed=...) and get_crypto_latest_quote + get_crypto_latest_trade
- get_clock:          TradingClient.get_clock()
- get_calendar:       TradingClient.get_calendar(GetCalendarRequest(start, end))
The live stream (`manage.py stream_quotes`) uses StockDataStream / CryptoDataStream.

Bounded I/O: every HTTP request has a timeout (the SDK sets none), the SDK's own blind
retry loop is switched off, and `_call` retries 429/5xx answers itself, honouring
`Retry-After` / `X-RateLimit-Reset`, at most `max_attempts` times and only when the wait is
short. Anything else (timeouts, refused connections, 4xx, malformed answers) raises
`ProviderUnavailable` at once. alpaca-py returns floats; they become Decimal via `str()`.
"""

import logging
import time
import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

with warnings.catch_warnings():  # alpaca-py imports websockets' deprecated legacy API
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.common.exceptions import APIError
    from alpaca.data.enums import Adjustment, DataFeed
    from alpaca.data.historical.crypto import CryptoHistoricalDataClient
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.data.requests import (
        CryptoBarsRequest,
        CryptoLatestQuoteRequest,
        CryptoLatestTradeRequest,
        StockBarsRequest,
        StockLatestQuoteRequest,
        StockLatestTradeRequest,
    )
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import AssetClass
    from alpaca.trading.requests import GetAssetsRequest, GetCalendarRequest

from django.core.cache import cache
from django.utils import timezone
from requests.adapters import HTTPAdapter

from core.providers.base import (
    AssetInfo,
    Bar,
    MarketClock,
    MarketDataProvider,
    MarketSession,
    ProviderUnavailable,
    Quote,
    is_crypto_symbol,
)
from core.timeframes import Timeframe

logger = logging.getLogger(__name__)

NEW_YORK = ZoneInfo("America/New_York")
RETRYABLE = {429, 500, 502, 503, 504}
LATEST_BATCH = 200  # symbols per latest-quote request (URL length)
STATUS_KEY = "core:alpaca:status"


class _TimeoutAdapter(HTTPAdapter):
    """requests has no session-wide timeout; alpaca-py passes none, so we add ours."""

    def __init__(self, timeout: float, **kwargs):
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def _bound(client, timeout: float):
    client._retry = 0  # our `_call` retries, honouring Retry-After (the SDK sleeps blindly)
    adapter = _TimeoutAdapter(timeout)
    client._session.mount("https://", adapter)
    client._session.mount("http://", adapter)
    return client


def _dec(value) -> Decimal:
    return Decimal(str(value))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _alpaca_timeframe(timeframe: Timeframe) -> TimeFrame:
    if timeframe.minutes >= 1440:
        return TimeFrame(1, TimeFrameUnit.Day)
    if timeframe.minutes >= 60:
        return TimeFrame(timeframe.minutes // 60, TimeFrameUnit.Hour)
    return TimeFrame(timeframe.minutes, TimeFrameUnit.Minute)


class AlpacaProvider(MarketDataProvider):
    name = "alpaca"

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        base_url: str,
        data_url: str,
        feed: str = "iex",
        timeout: float = 10.0,
        max_attempts: int = 3,
        max_wait: float = 3.0,
        sleep=time.sleep,
    ):
        self.feed = feed
        self.data_feed = DataFeed(feed)
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._sleep = sleep
        base_url = base_url.rstrip("/").removesuffix("/v2")
        data_url = data_url.rstrip("/").removesuffix("/v2")
        self.trading = _bound(
            TradingClient(api_key, secret_key, paper="paper" in base_url, url_override=base_url),
            timeout,
        )
        self.stocks = _bound(
            StockHistoricalDataClient(api_key, secret_key, url_override=data_url), timeout
        )
        self.crypto = _bound(
            CryptoHistoricalDataClient(api_key, secret_key, url_override=data_url), timeout
        )

    # -- bounded calls

    def _wait_before_retry(self, response, attempt: int) -> float:
        headers = getattr(response, "headers", None) or {}
        if headers.get("Retry-After", "").strip().isdigit():
            return float(headers["Retry-After"])
        if headers.get("X-RateLimit-Reset", "").strip().isdigit():
            return max(0.0, float(headers["X-RateLimit-Reset"]) - time.time())
        return 0.5 * 2 ** (attempt - 1)

    def _call(self, what: str, fn, *args):
        for attempt in range(1, self.max_attempts + 1):
            try:
                result = fn(*args)
            except APIError as exc:
                status = exc.status_code
                if status in RETRYABLE and attempt < self.max_attempts:
                    wait = self._wait_before_retry(exc.response, attempt)
                    if wait <= self.max_wait:
                        logger.info("Alpaca %s answered %s; retrying in %.1fs", what, status, wait)
                        self._sleep(wait)
                        continue
                self._failed(what, f"HTTP {status}: {str(exc)[:200]}")
            except Exception as exc:  # timeouts, refused connections, malformed answers
                self._failed(what, f"{type(exc).__name__}: {str(exc)[:200]}")
            else:
                self._record(connected=True, error="")
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(self, what: str, reason: str):
        logger.warning("Alpaca %s failed: %s", what, reason)
        self._record(connected=False, error=reason)
        raise ProviderUnavailable(
            "Market data is unavailable right now (Alpaca did not answer). Please try again "
            "shortly.",
            code="MARKET_DATA_UNAVAILABLE",
        )

    def _record(self, *, connected: bool, error: str):
        cache.set(
            STATUS_KEY,
            {"connected": connected, "error": error, "at": timezone.now().isoformat()},
            timeout=None,
        )

    def status(self) -> dict:
        recorded = cache.get(STATUS_KEY) or {}
        return {
            "provider": self.name,
            "connected": bool(recorded.get("connected", False)),
            "feed": self.feed,
        }

    # -- interface

    def list_assets(self) -> list[AssetInfo]:
        assets = []
        for asset_class in (AssetClass.US_EQUITY, AssetClass.CRYPTO):
            request = GetAssetsRequest(asset_class=asset_class)
            assets += self._call("assets", self.trading.get_all_assets, request)
        return [
            AssetInfo(
                symbol=asset.symbol,
                name=asset.name or "",
                asset_class=getattr(asset.asset_class, "value", asset.asset_class),
                exchange=getattr(asset.exchange, "value", asset.exchange) or "",
                status=getattr(asset.status, "value", asset.status),
                tradable=asset.tradable,
                shortable=asset.shortable,
                fractionable=asset.fractionable,
                easy_to_borrow=asset.easy_to_borrow,
                marginable=asset.marginable,
                provider_id=str(asset.id),
            )
            for asset in assets
        ]

    def get_bars(
        self, symbol: str, *, timeframe: Timeframe, start: datetime, end: datetime
    ) -> list[Bar]:
        fields = {
            "symbol_or_symbols": symbol,
            "timeframe": _alpaca_timeframe(timeframe),
            "start": start,
            "end": end,
        }
        if is_crypto_symbol(symbol):
            barset = self._call("bars", self.crypto.get_crypto_bars, CryptoBarsRequest(**fields))
        else:
            request = StockBarsRequest(**fields, feed=self.data_feed, adjustment=Adjustment.RAW)
            barset = self._call("bars", self.stocks.get_stock_bars, request)
        return [
            Bar(
                timestamp=_utc(bar.timestamp),
                open=_dec(bar.open),
                high=_dec(bar.high),
                low=_dec(bar.low),
                close=_dec(bar.close),
                volume=_dec(bar.volume),
                trade_count=int(bar.trade_count) if bar.trade_count is not None else None,
                vwap=_dec(bar.vwap) if bar.vwap is not None else None,
            )
            for bar in barset.data.get(symbol, [])
        ]

    def get_latest_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        symbols = list(dict.fromkeys(symbols))
        equities = [s for s in symbols if not is_crypto_symbol(s)]
        cryptos = [s for s in symbols if is_crypto_symbol(s)]
        quotes: dict[str, Quote] = {}
        for i in range(0, len(equities), LATEST_BATCH):
            batch = equities[i : i + LATEST_BATCH]
            fields = {"symbol_or_symbols": batch, "feed": self.data_feed}
            latest = self._call(
                "quotes", self.stocks.get_stock_latest_quote, StockLatestQuoteRequest(**fields)
            )
            trades = self._call(
                "trades", self.stocks.get_stock_latest_trade, StockLatestTradeRequest(**fields)
            )
            quotes |= _combine(batch, latest, trades)
        for i in range(0, len(cryptos), LATEST_BATCH):
            batch = cryptos[i : i + LATEST_BATCH]
            latest = self._call(
                "quotes",
                self.crypto.get_crypto_latest_quote,
                CryptoLatestQuoteRequest(symbol_or_symbols=batch),
            )
            trades = self._call(
                "trades",
                self.crypto.get_crypto_latest_trade,
                CryptoLatestTradeRequest(symbol_or_symbols=batch),
            )
            quotes |= _combine(batch, latest, trades)
        return quotes

    def get_clock(self) -> MarketClock:
        clock = self._call("clock", self.trading.get_clock)
        return MarketClock(
            timestamp=_utc(clock.timestamp),
            is_open=clock.is_open,
            next_open=_utc(clock.next_open),
            next_close=_utc(clock.next_close),
        )

    def get_calendar(self, start: date, end: date) -> list[MarketSession]:
        days = self._call(
            "calendar", self.trading.get_calendar, GetCalendarRequest(start=start, end=end)
        )
        # alpaca-py parses "09:30" as a naive datetime: it is New York wall-clock time.
        return [
            MarketSession(
                date=day.date,
                open=day.open.replace(tzinfo=NEW_YORK).astimezone(UTC),
                close=day.close.replace(tzinfo=NEW_YORK).astimezone(UTC),
            )
            for day in days
        ]


def _combine(symbols: list[str], latest_quotes: dict, latest_trades: dict) -> dict[str, Quote]:
    """One Quote per symbol from the latest quote (bid/ask) and trade (last). An empty side
    (Alpaca sends 0 when IEX has no ask, e.g.) takes the last price rather than a zero."""
    combined = {}
    for symbol in symbols:
        quote, trade = latest_quotes.get(symbol), latest_trades.get(symbol)
        if quote is None and trade is None:
            continue
        bid = _dec(quote.bid_price) if quote else Decimal(0)
        ask = _dec(quote.ask_price) if quote else Decimal(0)
        if trade is not None:
            last = _dec(trade.price)
        elif bid > 0 and ask > 0:
            last = (bid + ask) / 2
        else:
            last = max(bid, ask)
        if last <= 0:
            continue
        bid = bid if bid > 0 else last
        ask = ask if ask > 0 else last
        stamps = [_utc(item.timestamp) for item in (quote, trade) if item is not None]
        combined[symbol] = Quote(symbol=symbol, bid=bid, ask=ask, last=last, timestamp=max(stamps))
    return combined
