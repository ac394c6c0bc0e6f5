"""The market-data provider interface: the only way the project talks to a market.

Two implementations: `AlpacaProvider` (alpaca-py, real prices) and `SimulatedProvider`
(deterministic, offline). Prices leave a provider as `Decimal`, instants as aware UTC
datetimes. Any failure of the market (network, timeout, rate limit, bad answer) leaves as
`ProviderUnavailable`, which the API answers with 503 MARKET_DATA_UNAVAILABLE.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from alpacabackend.api.errors import ServiceUnavailable
from core.quotes import Quote
from core.timeframes import Timeframe

__all__ = [
    "AssetInfo",
    "Bar",
    "MarketClock",
    "MarketDataProvider",
    "MarketSession",
    "ProviderUnavailable",
    "Quote",
    "is_crypto_symbol",
]


class ProviderUnavailable(ServiceUnavailable):
    default_code = "MARKET_DATA_UNAVAILABLE"
    default_message = "Market data is unavailable right now. Please try again shortly."


def is_crypto_symbol(symbol: str) -> bool:
    """Alpaca names crypto pairs with a slash (`BTC/USD`); equities never have one."""
    return "/" in symbol


@dataclass(frozen=True, slots=True)
class AssetInfo:
    symbol: str
    name: str
    asset_class: str  # "us_equity" | "crypto"
    exchange: str
    status: str = "active"
    tradable: bool = True
    shortable: bool = False
    fractionable: bool = False
    easy_to_borrow: bool = False
    marginable: bool = False
    provider_id: str = ""


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar starting at `timestamp` (aware UTC)."""

    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trade_count: int | None = None
    vwap: Decimal | None = None


@dataclass(frozen=True, slots=True)
class MarketClock:
    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


@dataclass(frozen=True, slots=True)
class MarketSession:
    date: date
    open: datetime
    close: datetime


class MarketDataProvider(ABC):
    """What a market must answer. Implementations make no database writes."""

    name: str = ""
    feed: str = ""

    @abstractmethod
    def list_assets(self) -> list[AssetInfo]:
        """Every US equity and crypto pair the market lists (active or not)."""

    @abstractmethod
    def get_bars(
        self, symbol: str, *, timeframe: Timeframe, start: datetime, end: datetime
    ) -> list[Bar]:
        """Bars whose start lies in [start, end], oldest first. The bar holding `end` may be
        still forming (its values are those at `end`)."""

    @abstractmethod
    def get_latest_quotes(self, symbols: list[str]) -> dict[str, Quote]:
        """The latest bid/ask/last of each symbol; unknown symbols are left out."""

    @abstractmethod
    def get_clock(self) -> MarketClock:
        """The US equity market's clock now (open now?, next open, next close)."""

    @abstractmethod
    def get_calendar(self, start: date, end: date) -> list[MarketSession]:
        """The US equity market's sessions between two dates, inclusive."""

    def is_continuous(self, symbol: str) -> bool:
        """True when the symbol trades around the clock (no sessions, no overnight gap)."""
        return is_crypto_symbol(symbol)

    def status(self) -> dict:
        """Connection status for `GET /api/core/alpaca/` (provider, connected, feed)."""
        return {"provider": self.name, "connected": True, "feed": self.feed}
