"""The trade UUID migration gives every existing row its own id (the Alpaca API's order id)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from paper_trading.models import Trade
from paper_trading.tests.factories import AccountFactory, AssetFactory


def _migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_trades_get_distinct_uuids(alice):
    account = AccountFactory(user=alice)
    asset = AssetFactory(symbol="AAPL")
    for _ in range(3):
        Trade.objects.create(account=account, asset=asset, direction="LONG", quantity=1)

    try:
        _migrate(("paper_trading", "0004_trade_hidden_at"))
        _migrate(("paper_trading", "0005_trade_uuid"))

        uuids = list(Trade.objects.values_list("uuid", flat=True))
        assert len(uuids) == 3
        assert None not in uuids
        assert len(set(uuids)) == 3
    finally:
        _migrate()  # every later migration again: the next tests run on the current schema


@pytest.mark.django_db(transaction=True)
def test_the_trade_counts_migration_counts_the_trades_already_there(alice):
    from paper_trading.models import TradeCount

    account = AccountFactory(user=alice)
    asset = AssetFactory(symbol="AAPL")
    for hidden in (None, None, "2026-01-01T00:00Z"):
        Trade.objects.create(
            account=account, asset=asset, direction="LONG", quantity=1, hidden_at=hidden
        )
    try:
        _migrate(("paper_trading", "0008_account_fk_without_own_index"))
        _migrate(("paper_trading", "0009_trade_count"))
        assert TradeCount.objects.get(account_id=account.pk).listed == 2
        Trade.objects.create(account=account, asset=asset, direction="LONG", quantity=1)
        assert TradeCount.objects.get(account_id=account.pk).listed == 3  # the triggers too
    finally:
        _migrate()
