"""`get_provider()`: the configured market (Alpaca when keys are set, the simulated market
otherwise; MARKET_DATA_PROVIDER=auto|alpaca|simulated overrides)."""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.providers.base import MarketDataProvider, ProviderUnavailable

__all__ = ["MarketDataProvider", "ProviderUnavailable", "get_provider", "market_settings_check"]

PROVIDER_CHOICES = ("auto", "alpaca", "simulated")
MARKET_HOURS_CHOICES = ("always", "nyse")


def market_settings_check() -> None:
    """Raises ImproperlyConfigured, with a sentence naming the setting, when the market data
    settings cannot work. core's AppConfig.ready() calls it, so a typo stops the process at
    start-up instead of failing every request that needs a price."""
    choice = str(settings.MARKET_DATA_PROVIDER).strip().lower()
    if choice not in PROVIDER_CHOICES:
        raise ImproperlyConfigured(
            f"MARKET_DATA_PROVIDER is {settings.MARKET_DATA_PROVIDER!r}; "
            f"it must be one of: {', '.join(PROVIDER_CHOICES)}."
        )
    hours = str(settings.SIMULATED_MARKET_HOURS).strip().lower()
    if hours not in MARKET_HOURS_CHOICES:
        raise ImproperlyConfigured(
            f"SIMULATED_MARKET_HOURS is {settings.SIMULATED_MARKET_HOURS!r}; "
            f"it must be one of: {', '.join(MARKET_HOURS_CHOICES)}."
        )
    if choice == "alpaca" and not (settings.APCA_API_KEY and settings.APCA_API_SECRET_KEY):
        raise ImproperlyConfigured(
            "MARKET_DATA_PROVIDER=alpaca needs APCA_API_KEY and APCA_API_SECRET_KEY."
        )


def get_provider() -> MarketDataProvider:
    """Settings are read on every call (tests override them); the instance is reused."""
    return _provider(
        settings.MARKET_DATA_PROVIDER.lower(),
        settings.APCA_API_KEY,
        settings.APCA_API_SECRET_KEY,
        settings.APCA_API_BASE_URL,
        settings.APCA_DATA_BASE_URL,
        settings.APCA_DATA_FEED.lower(),
        settings.SIMULATED_MARKET_HOURS.lower(),
    )


@lru_cache(maxsize=8)
def _provider(choice, key, secret, base_url, data_url, feed, hours) -> MarketDataProvider:
    if choice not in PROVIDER_CHOICES:
        raise ImproperlyConfigured("MARKET_DATA_PROVIDER must be auto, alpaca or simulated.")
    if choice == "alpaca" or (choice == "auto" and key and secret):
        if not (key and secret):
            raise ImproperlyConfigured(
                "MARKET_DATA_PROVIDER=alpaca needs APCA_API_KEY and APCA_API_SECRET_KEY."
            )
        from core.providers.alpaca import AlpacaProvider

        return AlpacaProvider(
            api_key=key, secret_key=secret, base_url=base_url, data_url=data_url, feed=feed
        )
    from core.providers.simulated import SimulatedProvider

    return SimulatedProvider(market_hours=hours)
