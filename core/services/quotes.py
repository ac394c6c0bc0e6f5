"""Quote refresh: ask the provider, store in the quote cache, tell the listeners."""

import logging
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from core.hooks import on_quotes
from core.providers import ProviderUnavailable, get_provider
from core.quotes import Quote, quotes_get, quotes_store

logger = logging.getLogger(__name__)

# The price the app shows live is refreshed when older than this (the app polls every 2 s).
LIVE_QUOTE_AGE = 5
STREAM_HEARTBEAT_KEY = "core:stream:heartbeat"
# When we last asked the provider for a symbol. A quote's own timestamp says when the market
# quoted it, not when we asked: after hours or on a thin symbol it stays old however often we
# ask, so deciding from it alone would send every 2-second chart poll to the provider.
_ASKED_KEY = "core:quotes:asked:{}"
_ASKED_TTL_SECONDS = 60


def _mark_asked(symbols) -> None:
    stamp = timezone.now().isoformat()
    cache.set_many({_ASKED_KEY.format(s): stamp for s in symbols}, timeout=_ASKED_TTL_SECONDS)


def quotes_asked_recently(symbols, *, within: float = LIVE_QUOTE_AGE) -> set[str]:
    """The symbols the provider was asked for less than `within` seconds ago (whatever it
    answered: a quote, no quote, or a failure)."""
    symbols = list(dict.fromkeys(symbols))
    if within <= 0 or not symbols:  # nothing to ask the cache: no round trip
        return set()
    raw = cache.get_many([_ASKED_KEY.format(s) for s in symbols])
    now = timezone.now()
    return {
        s
        for s in symbols
        if _ASKED_KEY.format(s) in raw
        and 0 <= (now - datetime.fromisoformat(raw[_ASKED_KEY.format(s)])).total_seconds() < within
    }


def quotes_refresh(symbols, *, notify: bool = False, provider=None) -> dict[str, Quote]:
    """Fetches the latest quotes of `symbols` and stores them. With `notify`, calls
    `on_quotes` (the stream and the polling task do; request handlers do not, so a chart poll
    never runs order matching inside a request). Raises ProviderUnavailable, storing nothing,
    when the market does not answer. Either way the symbols count as asked (see
    `quotes_asked_recently`), so a failing or rate-limiting provider is not asked again by
    every poll. The marker is written only once the quotes are stored: a concurrent request
    that sees it (and so does not ask the provider itself) finds the quote too."""
    symbols = list(dict.fromkeys(symbols))
    if not symbols:
        return {}
    try:
        quotes = (provider or get_provider()).get_latest_quotes(symbols)
    except BaseException:
        _mark_asked(symbols)
        raise
    quotes_store(list(quotes.values()))
    _mark_asked(symbols)
    if notify:
        on_quotes(list(quotes))
    return quotes


def quote_latest(*, symbol: str, max_age: float = LIVE_QUOTE_AGE) -> Quote | None:
    """The cached quote when younger than `max_age` seconds or when the provider was asked
    for the symbol less than `max_age` seconds ago (after hours a quote stays old however
    often we ask), else a fresh one from the provider. When the provider fails, the cached
    quote is returned whatever its age (its `is_fresh()` says it is stale); with nothing
    cached the failure propagates, unless the provider was asked moments ago (then None).
    None when the provider has no quote for the symbol."""
    cached = quotes_get([symbol]).get(symbol)
    if cached is not None and cached.age_seconds() <= max_age:
        return cached
    if quotes_asked_recently([symbol], within=max_age):
        return cached
    try:
        fresh = quotes_refresh([symbol]).get(symbol)
    except ProviderUnavailable:
        if cached is None:
            raise
        logger.info("Serving the cached (stale) quote of %s: the provider is down", symbol)
        return cached
    if fresh is None:
        return cached
    # quotes_store never lets an older quote replace a newer one: read back what won.
    return quotes_get([symbol]).get(symbol, fresh)


def quotes_ensure_fresh(symbols) -> dict[str, Quote]:
    """Asks the provider for the symbols whose cached quote is missing or stale, so an order
    on a symbol nobody trades yet (no stream or poll follows it) still fills at a current
    price, and a list that values open trades shows them at one even with no poll running
    (the embedded default). A symbol asked for in the last LIVE_QUOTE_AGE seconds is not
    asked again: the cache holds the best the provider had. A provider failure is logged and
    changes nothing: the caller then finds no fresh quote (NO_PRICE). Returns the quotes
    there are (cached or fetched; one cache round trip when all are fresh). Never call it
    inside a transaction: it may go to the network."""
    cached = quotes_get(symbols)
    missing = [s for s in dict.fromkeys(symbols) if s not in cached or not cached[s].is_fresh()]
    if not missing:
        return cached
    asked = quotes_asked_recently(missing)
    missing = [s for s in missing if s not in asked]
    if not missing:
        return cached
    try:
        cached.update(quotes_refresh(missing))
    except ProviderUnavailable as exc:
        logger.warning("No fresh quote for %s: %s", ", ".join(missing), exc)
    return cached


def stream_heartbeat() -> None:
    """The price stream says it is alive; the polling task stands down while it is."""
    cache.set(STREAM_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=60)


def stream_is_alive(*, within: float = 15) -> bool:
    beat = cache.get(STREAM_HEARTBEAT_KEY)
    if not beat:
        return False
    return (timezone.now() - datetime.fromisoformat(beat)).total_seconds() <= within
