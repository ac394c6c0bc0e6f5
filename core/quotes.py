"""The latest quotes: the one place the rest of the project reads prices from.

Quotes live in the cache (Redis when configured) with their timestamp, so every consumer sees
how old a price is. Providers and the price stream write here (`quotes_store`); order matching,
valuations and the rule engine read here (`quotes_get`). A quote older than
MARKET_DATA_MAX_QUOTE_AGE seconds is *stale*: shown with its age, never used as fresh.
"""

import contextlib
import contextvars
import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

_KEY = "quote:{}"
_LAST_QUOTE_AT_KEY = "core:quotes:last_at"
_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    timestamp: datetime

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or timezone.now()) - self.timestamp).total_seconds()

    def is_fresh(self, now: datetime | None = None) -> bool:
        return self.age_seconds(now) <= settings.MARKET_DATA_MAX_QUOTE_AGE


def _encode(quote: Quote) -> tuple:
    return (str(quote.bid), str(quote.ask), str(quote.last), quote.timestamp.isoformat())


def _decode(symbol: str, raw: tuple) -> Quote:
    bid, ask, last, stamp = raw
    return Quote(symbol, Decimal(bid), Decimal(ask), Decimal(last), datetime.fromisoformat(stamp))


def quotes_store(quotes: list[Quote]) -> None:
    """Writes the newest quotes; an older quote never overwrites a newer one."""
    if not quotes:
        return
    # Read from the cache itself, not the request's memo: the memo may hold an older quote
    # than one the stream stored meanwhile, which this write must not replace.
    current = _quotes_cached([q.symbol for q in quotes])
    newer = {
        _KEY.format(q.symbol): _encode(q)
        for q in quotes
        if q.symbol not in current or current[q.symbol].timestamp <= q.timestamp
    }
    cache.set_many(newer, timeout=_TTL_SECONDS)
    memo = _memo.get()
    if memo is not None:
        # What the cache holds now: the quotes written, or the newer ones that stayed.
        memo.update(current)
        memo.update({q.symbol: q for q in quotes if _KEY.format(q.symbol) in newer})
    newest = max(q.timestamp for q in quotes)
    known = quotes_last_at()
    if known is None or known < newest:
        cache.set(_LAST_QUOTE_AT_KEY, newest.isoformat(), timeout=_TTL_SECONDS)


# Within one request (`quotes_memo`), a symbol's quote is read from the cache once: the
# order path asks for it before the lock, in the pre-trade check and after the fill, and
# each ask was a Redis round trip (issue 13). Values: symbol → Quote, or None when absent.
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("quotes_memo", default=None)


@contextlib.contextmanager
def quotes_memo():
    """Reads each symbol's quote at most once inside the block (nested blocks share it)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def quotes_memoized(func):
    """Runs `func` inside `quotes_memo` (a use case that reads a quote in several steps)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with quotes_memo():
            return func(*args, **kwargs)

    return wrapper


def quotes_get(symbols) -> dict[str, Quote]:
    """The cached quotes for these symbols (fresh or not: callers check `is_fresh`)."""
    symbols = list(dict.fromkeys(symbols))
    memo = _memo.get()
    wanted = symbols if memo is None else [s for s in symbols if s not in memo]
    found = _quotes_cached(wanted) if wanted else {}
    if memo is None:
        return found
    memo.update({symbol: found.get(symbol) for symbol in wanted})
    return {symbol: memo[symbol] for symbol in symbols if memo[symbol] is not None}


def _quotes_cached(symbols: list[str]) -> dict[str, Quote]:
    """The cache's quotes for these symbols (one round trip), past any request's memo."""
    raw = cache.get_many([_KEY.format(symbol) for symbol in symbols])
    return {s: _decode(s, raw[_KEY.format(s)]) for s in symbols if _KEY.format(s) in raw}


def quotes_last_at() -> datetime | None:
    """When the newest quote stored so far was quoted (the market-data status shows it)."""
    raw = cache.get(_LAST_QUOTE_AT_KEY)
    return datetime.fromisoformat(raw) if raw else None
