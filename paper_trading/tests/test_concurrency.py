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
        # Pairs of threads send the same client_order_id: 25 trades, never 50. The direction
        # format always opens (the side format would net against `shared` and `big`).
        r = place(api, asset="AAPL", direction="LONG" if i % 25 % 2 else "SHORT",
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
    # Five "Cancel"s race the fill: either one cancels the pending order (no commission),
    # or the order filled once and one Cancel closed the open trade once (the web app's
    # Cancel on an open trade); every other Cancel is a 409.
    assert Counter(statuses["cancel"]) == {200: 1, 409: 4}
    if resting.status == "CANCELLED":
        assert commissions == 0
    else:
        assert (resting.status, commissions) == ("CLOSED", 2)

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


def test_fifty_threads_selling_against_one_long_close_it_once_then_short(
    client_for, alice, account, aapl
):
    """40 distinct sells of 1 (10 of them sent twice) against a long of 30: the first 30 to
    take the lock close 1 each, oldest first, and the last 10 open shorts; never more."""
    quote("AAPL", "99.98", "100.00")
    held = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("30"))
    clients = [client_for(alice) for _ in range(THREADS)]
    answers: dict[str, set[int]] = {}

    def work(i):
        r = place(clients[i], symbol="AAPL", side="sell", quantity="1",
                  client_order_id=f"s-{i % 40}")  # fmt: skip
        assert r.status_code == 201, r.json()
        data = r.json()["data"]
        answers.setdefault(f"s-{i % 40}", set()).add(data["id"])

    run_threads(work)

    assert len(answers) == 40
    assert all(len(ids) == 1 for ids in answers.values())  # a retry answers the same trade
    assert not Trade.objects.filter(status="OPEN", direction="LONG").exists()
    closed = Trade.objects.filter(status="CLOSED", direction="LONG")
    assert closed.aggregate(q=Sum("quantity"))["q"] == D("30")
    assert closed.exclude(closing_client_order_id=None).count() == closed.count() == 30
    assert set(closed.values_list("split_from", flat=True)) <= {held.pk, None}
    shorts = Trade.objects.filter(status="OPEN", direction="SHORT")
    assert (shorts.count(), shorts.aggregate(q=Sum("quantity"))["q"]) == (10, D("10"))
    assert LedgerEntry.objects.filter(kind="REALIZED_PNL").count() == 30
    assert LedgerEntry.objects.filter(kind="COMMISSION").count() == 1 + 30 + 10
    assert balance(account) == ledger_sum(account)
    call_command("check_ledger")
