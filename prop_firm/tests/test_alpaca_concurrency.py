"""A bot retrying one order from many threads at once (PostgreSQL, real threads): one order,
one fill, one ledger entry; every answer names the same order."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from paper_trading.models import LedgerEntry, Trade
from prop_firm.alpaca_api.keys import api_key_create
from prop_firm.tests.factories import AssetFactory, PlanFactory, active_account, put_quote

THREADS = 20

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL (set DATABASE_URL).")


def test_one_client_order_id_from_many_threads_is_one_order(alice):
    AssetFactory(symbol="AAPL", fractionable=False)
    put_quote("AAPL", "100.00")
    account = active_account(alice, PlanFactory(starting_balance=Decimal("50000.00")))
    created = api_key_create(account=account, user=alice)
    body = {
        "symbol": "AAPL",
        "qty": "10",
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
        "client_order_id": "retry-me",
    }
    barrier = threading.Barrier(THREADS)
    answers, failures = [], []

    def runner():
        client = APIClient()
        client.credentials(
            HTTP_APCA_API_KEY_ID=created.api_key.key_id,
            HTTP_APCA_API_SECRET_KEY=created.secret_key,
        )
        try:
            barrier.wait()
            answers.append(client.post("/alpaca/v2/orders", body, format="json"))
        except Exception as error:  # reported below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["id"] for a in answers}) == 1
    assert Trade.objects.filter(account=account).count() == 1
    assert LedgerEntry.objects.filter(account=account, kind="COMMISSION").count() == 1
    account.refresh_from_db()
    assert account.current_balance == Decimal("49999.00")
