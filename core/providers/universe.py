"""The simulated market's universe: real US equities (names and tickers from pytickersymbols,
plus a few ETFs) and a few crypto pairs, with plausible price levels and volatilities."""

import zlib
from dataclasses import dataclass
from functools import lru_cache

from pytickersymbols import PyTickerSymbols

# Approximate price levels (USD) of well-known tickers, so the simulated AAPL looks like AAPL.
# The random process wanders around these levels (roughly +-30 %), it never trends away.
BASE_PRICES = {
    "AAPL": 230,
    "MSFT": 430,
    "NVDA": 140,
    "AMZN": 200,
    "GOOGL": 175,
    "GOOG": 176,
    "META": 580,
    "TSLA": 250,
    "BRK.B": 460,
    "AVGO": 170,
    "JPM": 230,
    "LLY": 800,
    "V": 300,
    "MA": 500,
    "UNH": 560,
    "XOM": 115,
    "JNJ": 155,
    "PG": 168,
    "HD": 400,
    "COST": 900,
    "ABBV": 180,
    "MRK": 100,
    "CVX": 150,
    "KO": 64,
    "PEP": 160,
    "ADBE": 500,
    "CRM": 300,
    "NFLX": 750,
    "AMD": 140,
    "INTC": 22,
    "ORCL": 180,
    "CSCO": 58,
    "WMT": 85,
    "BAC": 43,
    "WFC": 70,
    "DIS": 100,
    "MCD": 295,
    "NKE": 75,
    "BA": 160,
    "IBM": 215,
    "QCOM": 160,
    "TXN": 195,
    "AMGN": 300,
    "PFE": 26,
    "T": 22,
    "VZ": 42,
    "GS": 550,
    "MS": 125,
    "CAT": 380,
    "GE": 180,
    "HON": 215,
    "UBER": 72,
    "PYPL": 80,
    "SBUX": 95,
    "PLTR": 60,
    "SPY": 590,
    "QQQ": 510,
    "IWM": 230,
    "DIA": 430,
}

EXTRA_EQUITIES = (
    ("SPY", "SPDR S&P 500 ETF Trust", "ARCA"),
    ("QQQ", "Invesco QQQ Trust", "NASDAQ"),
    ("IWM", "iShares Russell 2000 ETF", "ARCA"),
    ("DIA", "SPDR Dow Jones Industrial Average ETF", "ARCA"),
)

CRYPTO = (
    ("BTC/USD", "Bitcoin / US Dollar", 95000.0),
    ("ETH/USD", "Ethereum / US Dollar", 3300.0),
    ("SOL/USD", "Solana / US Dollar", 210.0),
    ("LTC/USD", "Litecoin / US Dollar", 100.0),
    ("AVAX/USD", "Avalanche / US Dollar", 40.0),
    ("LINK/USD", "Chainlink / US Dollar", 20.0),
    ("DOGE/USD", "Dogecoin / US Dollar", 0.38),
)

_INDICES = ("S&P 100", "NASDAQ 100", "DOW JONES")


@dataclass(frozen=True, slots=True)
class Listing:
    symbol: str
    name: str
    asset_class: str
    exchange: str
    base_price: float
    daily_vol: float  # standard deviation of the daily log return
    spread_bps: float  # full bid/ask spread in basis points of the price
    daily_volume: float  # shares (or coins) per session
    decimals: int  # price tick = 10**-decimals


def unit_hash(*parts: str) -> float:
    """A stable number in [0, 1) from strings (crc32: the same on every machine and run)."""
    return zlib.crc32("|".join(parts).encode()) / 2**32


def _exchange(stock: dict) -> str:
    for listing in stock.get("symbols", []):
        prefix = listing.get("google", "").split(":")[0]
        if listing.get("currency") == "USD" and prefix in {"NASDAQ", "NYSE"}:
            return prefix
    return "NYSE"


def _equity(symbol: str, name: str, exchange: str) -> Listing:
    u = unit_hash(symbol, "params")
    base = BASE_PRICES.get(symbol) or round(20 + 380 * unit_hash(symbol, "price"), 2)
    return Listing(
        symbol=symbol,
        name=name,
        asset_class="us_equity",
        exchange=exchange,
        base_price=float(base),
        daily_vol=0.011 + 0.014 * u,  # 17 %..40 % a year
        spread_bps=1.0 + 4.0 * unit_hash(symbol, "spread"),
        daily_volume=float(int(2e6 + 6e7 * unit_hash(symbol, "volume"))),
        decimals=2,
    )


def _crypto(symbol: str, name: str, base: float) -> Listing:
    return Listing(
        symbol=symbol,
        name=name,
        asset_class="crypto",
        exchange="CRYPTO",
        base_price=base,
        daily_vol=0.03 + 0.015 * unit_hash(symbol, "params"),  # 57 %..86 % a year
        spread_bps=5.0 + 10.0 * unit_hash(symbol, "spread"),
        daily_volume=float(int(1e7 / base)) or 1.0,
        decimals=2 if base >= 1 else 5,
    )


@lru_cache(maxsize=1)
def listings() -> dict[str, Listing]:
    universe: dict[str, Listing] = {}
    tickers = PyTickerSymbols()
    for index in _INDICES:
        for stock in tickers.get_stocks_by_index(index):
            symbol = stock["symbol"]
            if symbol not in universe and symbol.replace(".", "").isalpha():
                universe[symbol] = _equity(symbol, stock["name"], _exchange(stock))
    for symbol, name, exchange in EXTRA_EQUITIES:
        universe[symbol] = _equity(symbol, name, exchange)
    for symbol, name, base in CRYPTO:
        universe[symbol] = _crypto(symbol, name, base)
    return universe


def listing_for(symbol: str) -> Listing:
    """Listed symbols have their parameters; any other symbol gets deterministic ones, so the
    simulated market can price whatever the asset table holds."""
    known = listings().get(symbol)
    if known is not None:
        return known
    if "/" in symbol:
        return _crypto(symbol, symbol, round(1 + 99 * unit_hash(symbol, "price"), 2))
    return _equity(symbol, symbol, "NYSE")
