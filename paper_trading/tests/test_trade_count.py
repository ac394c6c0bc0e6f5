"""TradeCount: the database keeps each account's count of listed trades (not hidden) with
triggers, and the web app's unpaged list answers its `count` from it (issue 13). It must
equal a count of the rows after every way a trade is written, on SQLite and PostgreSQL."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from paper_trading.models import Trade, TradeCount
from paper_trading.services.trade_counts import trade_counts_drifted
from paper_trading.services.trades import (
    order_place,
    trade_cancel,
    trade_close,
    trade_place,
    trade_remove,
)
from paper_trading.tests.factories import AccountFactory, quote
from paper_trading.tests.helpers import TRADES

D = Decimal


def kept(account) -> int:
    row = TradeCount.objects.filter(account_id=account.pk).first()
    return row.listed if row else 0


def listed(account) -> int:
    return Trade.objects.filter(account=account, hidden_at__isnull=True).count()


def test_every_way_a_trade_is_written_moves_the_count_with_the_rows(account, aapl):
    quote("AAPL", "99.98", "100.00")
    steps = [
        lambda: trade_place(account=account, asset=aapl, direction="LONG", quantity=D("3")),
        lambda: trade_close(trade=Trade.objects.filter(status="OPEN").first(), quantity=D("1")),
        lambda: order_place(  # a reducing order: closes what is open, opens the rest
            account=account, asset=aapl, direction="SHORT", quantity=D("4"),
            position_effect="REDUCE",
        ),
        lambda: trade_place(
            account=account, asset=aapl, direction="LONG", quantity=D("1"),
            order_type="LIMIT", limit_price=D("50"),
        ),
        lambda: trade_cancel(trade=Trade.objects.get(status="PENDING")),
        lambda: trade_remove(trade=Trade.objects.filter(status="CLOSED").first()),
        lambda: Trade.objects.filter(status="CANCELLED").update(hidden_at="2026-01-01T00:00Z"),
        lambda: Trade.objects.filter(hidden_at__isnull=False).update(hidden_at=None),
        lambda: Trade.objects.bulk_create(
            Trade(account=account, asset=aapl, direction="LONG", quantity=D("1"))
            for _ in range(3)
        ),
        lambda: Trade.objects.filter(status="PENDING").delete(),
    ]  # fmt: skip
    for step in steps:
        step()
        assert kept(account) == listed(account)
    assert listed(account) > 0
    assert trade_counts_drifted() == []


def test_a_rolled_back_write_leaves_the_count_as_it_was(account, aapl):
    quote("AAPL", "99.98", "100.00")
    trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"))
    with pytest.raises(RuntimeError), transaction.atomic():
        trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"))
        assert kept(account) == 2
        raise RuntimeError("the order's transaction fails")
    assert kept(account) == listed(account) == 1


def test_the_unpaged_list_counts_through_the_kept_count(api, alice, account, aapl):
    """The web app's default list (no filter) reads the kept count; a filtered list counts
    its rows. Both are exact."""
    quote("AAPL", "99.98", "100.00")
    other = AccountFactory(user=alice)
    for _ in range(3):
        trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"))
    trade_place(account=other, asset=aapl, direction="LONG", quantity=D("1"))
    TradeCount.objects.filter(account_id=account.pk).update(listed=7)  # a visible mark
    assert api.get(TRADES, {"account_id": account.pk}).json()["count"] == 7
    assert api.get(TRADES, {"account_id": account.pk, "status": "OPEN"}).json()["count"] == 3
    assert api.get(TRADES, {"all": "true"}).json()["count"] == 8  # 7 + the other's 1
    out = io.StringIO()
    call_command("trade_counts_rebuild", stdout=out)
    assert out.getvalue().startswith("1 account(s) had a wrong count")
    assert api.get(TRADES, {"account_id": account.pk}).json()["count"] == 3
    assert trade_counts_drifted() == []


def test_the_triggers_are_in_place(db):
    """A migration that rebuilds the trades table (SQLite remakes a table to alter it) drops
    its triggers: this fails until that migration creates them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'paper_trading_trade'::regclass "
                "AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'paper_trading_trade'"
            )
        names = {row[0] for row in cursor.fetchall()}
    expected = {f"paper_trading_trade_count_{op}" for op in ("insert", "delete", "update")}
    assert expected <= names
