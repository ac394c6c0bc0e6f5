"""Many requests at once on one account (PostgreSQL, real threads): balance == ledger after,
no duplicate trade, no double fill of a pending order, no double close."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum

from paper_trading.models import LedgerEntry, Trade
from paper_trading.services.trades import orders_match, trade_place
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import balance, ledger_sum, place, trade_url

D = Decimal
THREADS = 50

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL (set DATABASE_URL).")


def run_threads(work):
    barrier = threading.Barrier(THREADS)
    failures = []

    def runner(i):
        try:
            barrier.wait()
            work(i)
        except Exception as error:  # collected and reported by the test
            failures.append(f"thread {i}: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures


def test_fifty_threads_placing_and_closing_on_one_account(client_for, alice, account, aapl):
    quote("AAPL", "99.98", "100.00")
    shared = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("10"))
    big = trade_place(account=account, asset=aapl, direction="SHORT", quantity=D("40"))
    resting = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("7"),
                          order_type="LIMIT", limit_price=D("99.90"))  # fmt: skip
    quote("AAPL", "99.80", "99.85")  # the resting limit is now marketable
    clients = [client_for(alice) for _ in range(THREADS)]
    statuses: dict[str, list[int]] = {"own": [], "close_own": [], "shared": [], "big": [],
                                      "cancel": []}  # fmt: skip

    def work(i):
        api = clients[i]
        # Pairs of threads send the same client_order_id: 25 trades, never 50.
        r = place(api, symbol="AAPL", side="buy" if i % 25 % 2 else "sell",
                  quantity=str(1 + i % 25 // 5), client_order_id=f"c-{i % 25}")  # fmt: skip
        statuses["own"].append(r.status_code)
        assert r.status_code == 201, r.json()
        own = r.json()["data"]["id"]
        statuses["shared"].append(api.post(trade_url(shared.pk, "close")).status_code)
        r = api.post(trade_url(big.pk, "close"), {"quantity": "1"}, format="json")
        statuses["big"].append(r.status_code)
        orders_match(symbols=["AAPL"])
        if i % 10 == 0:
            statuses["cancel"].append(api.post(trade_url(resting.pk, "cancel")).status_code)
        statuses["close_own"].append(api.post(trade_url(own, "close")).status_code)

    run_threads(work)

    assert Counter(statuses["own"]) == {201: THREADS}
    assert Counter(statuses["shared"]) == {200: 1, 409: THREADS - 1}
    assert Counter(statuses["big"])[200] == 40
    assert Counter(statuses["close_own"]) == {200: 25, 409: 25}

    own_trades = Trade.objects.filter(client_order_id__startswith="c-")
    assert own_trades.count() == 25
    assert set(own_trades.values_list("status", flat=True)) == {"CLOSED"}
    shared.refresh_from_db()
    assert shared.status == "CLOSED"
    closed_short = Trade.objects.filter(status="CLOSED", direction="SHORT", quantity=1)
    assert (
        closed_short.filter(pk=big.pk).count() + closed_short.filter(split_from=big).count() == 40
    )
    assert Trade.objects.filter(split_from=big).aggregate(q=Sum("quantity"))["q"] + (
        D("1") if Trade.objects.get(pk=big.pk).status == "CLOSED" else D("0")
    ) == D("40")

    resting.refresh_from_db()
    commissions = LedgerEntry.objects.filter(trade=resting, kind="COMMISSION").count()
    if resting.status == "OPEN":
        assert commissions == 1  # filled once, never twice
        assert set(statuses["cancel"]) == {409}
    else:
        assert (resting.status, commissions) == ("CANCELLED", 0)

    # No trade has more than one entry commission and one close posting.
    per_trade = (
        LedgerEntry.objects.exclude(trade=None)
        .values("trade", "kind")
        .annotate(n=Count("id"))
        .filter(n__gt=2)
    )
    assert not per_trade.exists()
    for trade in Trade.objects.filter(status="CLOSED"):
        posted = LedgerEntry.objects.filter(trade=trade, kind="REALIZED_PNL").count()
        assert posted <= 1
    assert balance(account) == ledger_sum(account)
    call_command("check_ledger")
