"""Is the market open for this asset? When does its session close? Answered offline (no
provider call), so order handling can ask on every request.

Crypto trades around the clock (its "session" is the UTC day). US equities follow the NYSE
calendar with the Alpaca provider and with SIMULATED_MARKET_HOURS=nyse; the simulated market
with SIMULATED_MARKET_HOURS=always (the default) is open around the clock too.
"""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache

from core.nyse import nyse_is_open, nyse_next_close
from core.providers import get_provider
from core.providers.base import MarketClock

CRYPTO = "crypto"


def _around_the_clock(asset) -> bool:
    if asset.asset_class == CRYPTO:
        return True
    provider = get_provider()
    return provider.name == "simulated" and settings.SIMULATED_MARKET_HOURS.lower() == "always"


def market_is_open(asset, now: datetime) -> bool:
    return True if _around_the_clock(asset) else nyse_is_open(now)


def market_session_close(asset, now: datetime) -> datetime:
    """The close of the session in progress at `now`, else of the next one (a DAY order's
    expiry)."""
    if _around_the_clock(asset):
        return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), UTC)
    return nyse_next_close(now)


CLOCK_CACHE_SECONDS = 15


def market_clock() -> MarketClock:
    """The US equity market's clock from the provider; a provider that charges a request
    for it (Alpaca) is asked at most every 15 seconds."""
    provider = get_provider()
    if provider.name == "simulated":
        return provider.get_clock()
    key = f"core:clock:{provider.name}"
    clock = cache.get(key)
    if clock is None:
        clock = provider.get_clock()
        cache.set(key, clock, timeout=CLOCK_CACHE_SECONDS)
    return clock
