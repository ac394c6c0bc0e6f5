"""The assets orders name, cached per process (core.selectors.asset_named, issue 13): an
order reads no reference data, and a change to an asset still reaches the next order, at
once in this process and after at most ASSET_CACHE_SECONDS in the others.

These tests commit (transaction=True): inside a transaction nothing is cached."""

import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core import selectors
from core.models import Asset
from core.providers.base import AssetInfo
from core.selectors import asset_named, assets_cache_clear
from core.services.assets import assets_sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    assets_cache_clear()
    yield
    assets_cache_clear()


def _reads(lookup) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        found = lookup()
    return found, len(captured)


def test_a_second_order_on_the_symbol_reads_no_asset_and_gets_its_own_instance():
    Asset.objects.create(symbol="AAPL", name="Apple")
    first, reads = _reads(lambda: asset_named("aapl"))
    assert reads == 1 and first.symbol == "AAPL"
    again, reads = _reads(lambda: asset_named("AAPL"))
    assert reads == 0
    assert again == first and again is not first  # a change to one is not seen by the other
    again.tradable = False
    assert asset_named("AAPL").tradable
    by_id, reads = _reads(lambda: asset_named(str(first.pk), by_id=True))
    assert reads == 1 and by_id.pk == first.pk


def test_a_halted_asset_reaches_the_next_order_at_once():
    apple = Asset.objects.create(symbol="AAPL", name="Apple")
    assert asset_named("AAPL").is_tradable
    apple.tradable = False
    apple.save()  # an admin's edit in this process
    assert not asset_named("AAPL").is_tradable


def test_another_process_change_is_seen_once_the_cache_ages_out(monkeypatch):
    Asset.objects.create(symbol="AAPL", name="Apple")
    assert asset_named("AAPL").tradable
    Asset.objects.filter(symbol="AAPL").update(tradable=False)  # no signal: as elsewhere
    assert asset_named("AAPL").tradable  # within ASSET_CACHE_SECONDS
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + selectors.ASSET_CACHE_SECONDS + 1)
    assert not asset_named("AAPL").tradable


def test_nothing_read_inside_a_transaction_is_kept():
    with transaction.atomic():
        Asset.objects.create(symbol="NEW", name="Rolled back")
        assert asset_named("NEW") is not None
        transaction.set_rollback(True)
    assert asset_named("NEW") is None
    assert not selectors._named


def test_the_asset_sync_clears_the_cache_when_it_commits():
    Asset.objects.create(symbol="AAPL", name="Apple", asset_class="us_equity")
    assert asset_named("AAPL").tradable

    class Provider:
        def list_assets(self):
            return [AssetInfo("AAPL", "Apple", "us_equity", "NASDAQ", tradable=False)]

    assets_sync(provider=Provider())
    assert not asset_named("AAPL").tradable


def test_a_symbol_that_is_not_ascii_is_always_looked_up():
    """Python's upper() maps "ı" to "I"; what the symbol names is the database's UPPER's say,
    whatever was cached before."""
    Asset.objects.create(symbol="IBM", name="IBM")
    assert asset_named("IBM") is not None
    uncached, reads = _reads(lambda: asset_named("ıbm"))
    assert reads == 1
    assert list(selectors._named) == [("symbol", "IBM")]  # nothing kept for it
    assert (uncached is None) == (selectors._ASSET_BY_SYMBOL.first(symbol="ıbm") is None)


def test_an_edit_clears_the_cache_again_when_it_commits():
    """Between the edit and its commit another thread may read the old row and keep it."""
    apple = Asset.objects.create(symbol="AAPL", name="Apple")
    with transaction.atomic():
        apple.tradable = False
        apple.save()
        old = Asset.objects.get(pk=apple.pk)
        old.tradable = True
        selectors._named[("symbol", "AAPL")] = (time.monotonic(), old)  # that thread's read
    assert not selectors._named
    assert not asset_named("AAPL").tradable
