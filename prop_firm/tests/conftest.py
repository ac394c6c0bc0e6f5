from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def _hand_computable_fills(settings):
    """Fills at the quote without slippage; commission $0.005/share, at least $1."""
    settings.PAPER_SLIPPAGE_BPS = Decimal("0")
    settings.PAPER_COMMISSION_PER_SHARE = Decimal("0.005")
    settings.PAPER_COMMISSION_MIN = Decimal("1")
    settings.MARKET_DATA_MAX_QUOTE_AGE = 60
    # The simulated market, open around the clock: fills need no real provider.
    settings.MARKET_DATA_PROVIDER = "simulated"
    settings.SIMULATED_MARKET_HOURS = "always"
