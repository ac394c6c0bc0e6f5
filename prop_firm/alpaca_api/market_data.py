"""Market data in Alpaca's data shapes (`alpaca/data/models`), from core's market-data layer:
candles through `core.services.candles` (stored once, the forming bar live), quotes through
`core.services.quotes` (the same prices the fills use).

Prices and sizes are JSON numbers here, as in Alpaca's data API (the trading models use
strings). The quote's sizes and exchanges are not known to our layer: sizes are 0, exchanges
and tape empty.
"""

import base64
import binascii
import json
import re
from datetime import datetime

from django.utils import timezone

from alpacabackend.api.errors import InvalidInput
from core.models import Asset
from core.services.candles import candles_window
from core.services.quotes import quote_latest
from core.timeframes import BY_MINUTES, DAY, MINUTE, Timeframe
from prop_firm.alpaca_api.shapes import iso

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
MAX_SYMBOLS = 100
_UNIT_MINUTES = {"min": 1, "t": 1, "hour": 60, "h": 60, "day": 1440, "d": 1440}
_TIMEFRAME = re.compile(r"^(\d+)\s*([a-z]+)$")


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", code="INVALID_PARAMETER", errors={field: [message]})


def timeframe_parse(value: str | None) -> Timeframe:
    """Alpaca's `1Min`, `5Min`, `15Min`, `30Min`, `1Hour`, `4Hour`, `1Day` (and `1T`, `1H`,
    `1D`) → one of core's timeframes."""
    match = _TIMEFRAME.match(str(value or "").strip().lower())
    minutes = None
    if match and match.group(2) in _UNIT_MINUTES:
        minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2)]
    if minutes not in BY_MINUTES:
        raise _invalid(
            "timeframe", "invalid timeframe; use 1Min, 5Min, 15Min, 30Min, 1Hour, 4Hour or 1Day"
        )
    return BY_MINUTES[minutes]


def symbols_parse(value: str | None) -> list[str]:
    symbols = list(
        dict.fromkeys(s.strip().upper() for s in str(value or "").split(",") if s.strip())
    )
    if not symbols:
        raise _invalid("symbols", "symbols is required")
    if len(symbols) > MAX_SYMBOLS:
        raise _invalid("symbols", f"at most {MAX_SYMBOLS} symbols per request")
    return symbols


def _assets(symbols: list[str]) -> dict[str, Asset]:
    """Known symbols only (an unknown one is left out of the answer, as Alpaca does)."""
    found: dict[str, Asset] = {}
    for asset in Asset.objects.filter(symbol__in=symbols).order_by("asset_class", "id"):
        found.setdefault(asset.symbol, asset)
    return found


def bar_shape(bar) -> dict:
    return {
        "t": iso(bar.timestamp),
        "o": bar.open,
        "h": bar.high,
        "l": bar.low,
        "c": bar.close,
        "v": bar.volume,
        "n": bar.trade_count if bar.trade_count is not None else 0,
        "vw": bar.vwap if bar.vwap is not None else bar.close,
    }


def _token_encode(symbol: str, timestamp: datetime | None) -> str:
    """Where the next page starts: after `timestamp` in `symbol` (its first bar when None)."""
    raw = json.dumps({"s": symbol, "t": timestamp.isoformat() if timestamp else None})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _token_decode(token: str) -> tuple[str, datetime | None]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(data["s"]), datetime.fromisoformat(data["t"]) if data["t"] else None
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise _invalid("page_token", "invalid page_token") from None


def _series(asset: Asset, timeframe: Timeframe, start, end) -> list:
    """The bars of one symbol starting in [start, end), oldest first. As at Alpaca, `start`
    defaults to the beginning of the current day (UTC) and `end` to now."""
    now = timezone.now()
    end = min(end or now, now)
    start = start or now.replace(hour=0, minute=0, second=0, microsecond=0)
    if start >= end:
        return []
    window = candles_window(asset=asset, timeframe=timeframe, bars=0, start=start, end=end)
    return window[0 : window.count()][::-1]


def bars_get(
    *,
    symbols: list[str],
    timeframe: Timeframe,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    page_token: str | None = None,
    sort: str = "asc",
) -> dict:
    """GET /v2/stocks/bars: `{"bars": {symbol: [bar...]}, "next_page_token"}`. `limit`
    counts bars over all symbols (symbols in alphabetical order); the token resumes after
    the last bar answered."""
    limit = limit or DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"limit must be between 1 and {MAX_LIMIT}")
    resume = _token_decode(page_token) if page_token else None
    assets = _assets(symbols)
    answer: dict[str, list] = {}
    left = limit
    next_token = None
    for symbol in sorted(assets):
        if resume is not None and symbol < resume[0]:
            continue
        if left == 0:
            next_token = _token_encode(symbol, None)
            break
        series = _series(assets[symbol], timeframe, start, end)
        if sort == "desc":
            series = series[::-1]
        if resume is not None and symbol == resume[0] and resume[1] is not None:
            after = resume[1]
            series = [
                b
                for b in series
                if (b.timestamp < after if sort == "desc" else b.timestamp > after)
            ]
        page = series[:left]
        if page:
            answer[symbol] = [bar_shape(bar) for bar in page]
        left -= len(page)
        if len(series) > len(page):
            next_token = _token_encode(symbol, page[-1].timestamp)
            break
    return {"bars": answer, "next_page_token": next_token}


def quote_shape(quote) -> dict:
    return {
        "t": iso(quote.timestamp),
        "ax": "",
        "ap": quote.ask,
        "as": 0,
        "bx": "",
        "bp": quote.bid,
        "bs": 0,
        "c": [],
        "z": "",
    }


def trade_shape(quote) -> dict:
    return {"t": iso(quote.timestamp), "x": "", "p": quote.last, "s": 0, "c": [], "i": 0, "z": ""}


def _latest(symbols: list[str]) -> dict:
    quotes = {}
    for symbol in _assets(symbols):
        quote = quote_latest(symbol=symbol)
        if quote is not None:
            quotes[symbol] = quote
    return quotes


def quotes_latest(*, symbols: list[str]) -> dict:
    """GET /v2/stocks/quotes/latest."""
    return {"quotes": {s: quote_shape(q) for s, q in _latest(symbols).items()}}


def trades_latest(*, symbols: list[str]) -> dict:
    """GET /v2/stocks/trades/latest: the last price of our quote as the latest trade."""
    return {"trades": {s: trade_shape(q) for s, q in _latest(symbols).items()}}


def snapshots_get(*, symbols: list[str]) -> dict:
    """GET /v2/stocks/snapshots: keyed by symbol at the top level, as Alpaca answers."""
    answer = {}
    assets = _assets(symbols)
    quotes = _latest(list(assets))
    for symbol, asset in assets.items():
        minute = candles_window(asset=asset, timeframe=MINUTE, bars=1)[0:1]
        daily = candles_window(asset=asset, timeframe=DAY, bars=2)[0:2]
        quote = quotes.get(symbol)
        answer[symbol] = {
            "latestTrade": trade_shape(quote) if quote else None,
            "latestQuote": quote_shape(quote) if quote else None,
            "minuteBar": bar_shape(minute[0]) if minute else None,
            "dailyBar": bar_shape(daily[0]) if daily else None,
            "prevDailyBar": bar_shape(daily[1]) if len(daily) > 1 else None,
        }
    return answer
