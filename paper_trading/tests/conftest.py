from decimal import Decimal

import pytest

from paper_trading.tests.factories import AccountFactory, AssetFactory


@pytest.fixture(autouse=True)
def fill_model(settings):
    """The documented defaults, pinned so the arithmetic in the tests stays hand-checkable."""
    settings.PAPER_SLIPPAGE_BPS = Decimal("2")
    settings.PAPER_COMMISSION_PER_SHARE = Decimal("0.005")
    settings.PAPER_COMMISSION_MIN = Decimal("1")
    settings.MARKET_DATA_MAX_QUOTE_AGE = 60
    settings.MARKET_DATA_PROVIDER = "simulated"
    settings.SIMULATED_MARKET_HOURS = "always"
    return settings


@pytest.fixture
def account(alice):
    """alice's ACTIVE account, funded with 100,000.00."""
    return AccountFactory(user=alice)


@pytest.fixture
def bob_account(bob):
    return AccountFactory(user=bob)


@pytest.fixture
def aapl(db):
    return AssetFactory(symbol="AAPL", shortable=True, fractionable=False)


@pytest.fixture
def btc(db):
    return AssetFactory(
        symbol="BTC/USD",
        name="Bitcoin",
        exchange="CRYPTO",
        asset_class="crypto",
        shortable=False,
        fractionable=True,
    )


@pytest.fixture
def api(client_for, alice):
    return client_for(alice)


@pytest.fixture
def bob_api(client_for, bob):
    return client_for(bob)


@pytest.fixture(autouse=True)
def _ledger_stays_balanced(request):
    """After every test that touched the database: balance == Σ entries for every account
    (what `manage.py check_ledger` verifies). `ledger_drift_expected` opts out."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db or "ledger_drift_expected" in request.fixturenames:
        yield
        return
    request.getfixturevalue("db")  # set up first, so its rollback runs after this check
    yield
    from paper_trading.management.commands.check_ledger import accounts_out_of_balance

    assert list(accounts_out_of_balance()) == []


@pytest.fixture
def ledger_drift_expected():
    """The test breaks the ledger on purpose."""
