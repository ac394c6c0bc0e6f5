"""The trade UUID migration gives every existing row its own id (the Alpaca API's order id)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from paper_trading.models import Trade
from paper_trading.tests.factories import AccountFactory, AssetFactory


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_existing_trades_get_distinct_uuids(alice):
    account = AccountFactory(user=alice)
    asset = AssetFactory(symbol="AAPL")
    for _ in range(3):
        Trade.objects.create(account=account, asset=asset, direction="LONG", quantity=1)

    _migrate(("paper_trading", "0004_trade_hidden_at"))
    _migrate(("paper_trading", "0005_trade_uuid"))

    uuids = list(Trade.objects.values_list("uuid", flat=True))
    assert len(uuids) == 3
    assert None not in uuids
    assert len(set(uuids)) == 3
