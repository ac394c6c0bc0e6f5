"""core's test fixtures. Every core test runs under `responses`: an HTTP call that no test
stubbed fails with ConnectionError, so no test can reach the real Alpaca."""

from datetime import UTC, datetime

import pytest
import responses as responses_lib
import time_machine

from core.models import Asset

# A Wednesday, 10:33:07 in New York: the NYSE is open.
NOW = datetime(2026, 11, 25, 15, 33, 7, tzinfo=UTC)


@pytest.fixture(autouse=True)
def http():
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _simulated_market(settings):
    settings.MARKET_DATA_PROVIDER = "simulated"
    settings.SIMULATED_MARKET_HOURS = "always"
    settings.APCA_API_KEY = ""
    settings.APCA_API_SECRET_KEY = ""


@pytest.fixture
def frozen():
    """The clock stands still at NOW (tick=False); `frozen.move_to(...)` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alpaca(settings):
    """The Alpaca provider with fake keys, against the `http` stubs."""
    settings.MARKET_DATA_PROVIDER = "auto"
    settings.APCA_API_KEY = "PKTEST"
    settings.APCA_API_SECRET_KEY = "secret"
    settings.APCA_API_BASE_URL = "https://paper-api.alpaca.markets"
    settings.APCA_DATA_BASE_URL = "https://data.alpaca.markets"
    settings.APCA_DATA_FEED = "iex"
    from core.providers import get_provider

    provider = get_provider()
    provider._sleep = lambda seconds: None  # retries wait for nobody in tests
    return provider


@pytest.fixture
def aapl(db):
    return Asset.objects.create(
        symbol="AAPL", name="Apple Inc.", exchange="NASDAQ", shortable=True, fractionable=True
    )


@pytest.fixture
def btc(db):
    return Asset.objects.create(
        symbol="BTC/USD", name="Bitcoin / US Dollar", exchange="CRYPTO", asset_class="crypto"
    )
