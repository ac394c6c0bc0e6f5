"""account_liquidate and open_positions_for_accounts: what the prop firm's rule engine uses."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from core.quotes import Quote
from paper_trading.models import Trade
from paper_trading.selectors import open_positions_for_accounts
from paper_trading.services.trades import account_liquidate, trade_place
from paper_trading.tests.factories import AccountFactory, AssetFactory, quote
from paper_trading.tests.helpers import balance, ledger_sum
from prop_firm.models import PropFirmAccount
from prop_firm.rules import PositionState

D = Decimal


@pytest.fixture
def book(account, aapl, btc):
    quote("AAPL", "99.98", "100.00")
    quote("BTC/USD", "60000", "60010")
    long = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("10"))
    short = trade_place(account=account, asset=aapl, direction="SHORT", quantity=D("5"))
    pending = trade_place(account=account, asset=btc, direction="LONG", quantity=D("0.1"),
                          order_type="LIMIT", limit_price=D("50000"))  # fmt: skip
    return long, short, pending


def liquidate(account, **kwargs):
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        return account_liquidate(account=locked, **kwargs)


def test_liquidation_closes_longs_at_the_bid_and_shorts_at_the_ask_without_slippage(account, book):
    long, short, pending = book
    quote("AAPL", "95.00", "95.10")
    changed = liquidate(account, reason="Daily loss breached.")
    assert {t.pk for t in changed} == {long.pk, short.pk, pending.pk}
    long.refresh_from_db()
    short.refresh_from_db()
    pending.refresh_from_db()
    assert (long.status, long.exit_price, long.close_reason) == ("CLOSED", D("95"), "LIQUIDATION")
    assert (short.status, short.exit_price) == ("CLOSED", D("95.10"))
    assert (pending.status, pending.rejection_reason) == ("CANCELLED", "Daily loss breached.")
    # long (95 − 100.02) × 10 = −50.20; short (99.960004 − 95.10) × 5 = 24.30002 → 24.30
    assert long.realized_pl == D("-52.20")
    assert short.realized_pl == D("22.30")
    assert balance(account) == D("99970.10") == ledger_sum(account)
    assert not Trade.objects.filter(account=account, status__in=["OPEN", "PENDING"]).exists()


def test_liquidation_uses_the_callers_prices(account, book):
    long, short, _ = book
    judged = {"AAPL": Quote("AAPL", D("90"), D("90.05"), D("90"), datetime.now(UTC))}
    liquidate(account, quotes=judged)
    long.refresh_from_db()
    short.refresh_from_db()
    assert (long.exit_price, short.exit_price) == (D("90"), D("90.05"))


def test_liquidation_falls_back_to_last_then_to_the_entry_price(account, aapl):
    quote("AAPL", "99.98", "100.00")
    trade = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("1"))
    no_sides = {"AAPL": Quote("AAPL", D("0"), D("0"), D("97.5"), datetime.now(UTC))}
    liquidate(account, quotes=no_sides)
    trade.refresh_from_db()
    assert trade.exit_price == D("97.5")

    AssetFactory(symbol="GONE")
    quote("GONE", "10", "10.01")
    gone = trade_place(account=account, asset=type(aapl).objects.get(symbol="GONE"),
                       direction="LONG", quantity=D("1"))  # fmt: skip
    from django.core.cache import cache

    cache.clear()
    liquidate(account)
    gone.refresh_from_db()
    assert (gone.status, gone.exit_price) == ("CLOSED", gone.entry_price)


@pytest.mark.django_db(transaction=True)
def test_liquidation_refuses_to_run_outside_a_transaction(account, book):
    with pytest.raises(RuntimeError):
        account_liquidate(account=account)


def test_open_positions_for_accounts_is_one_query_for_many_accounts(
    account, book, alice, django_assert_num_queries
):
    empty = AccountFactory(user=alice)
    with django_assert_num_queries(1):
        positions = open_positions_for_accounts([account.pk, empty.pk])
    assert positions[empty.pk] == []
    assert positions[account.pk] == [
        PositionState(symbol="AAPL", direction="LONG", quantity=D("10"),
                      entry_price=D("100.02")),
        PositionState(symbol="AAPL", direction="SHORT", quantity=D("5"),
                      entry_price=D("99.960004")),
    ]  # fmt: skip
