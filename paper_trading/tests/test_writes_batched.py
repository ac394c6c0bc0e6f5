"""writes_batched (alpacabackend/db.py): on PostgreSQL an order's queued writes reach the
database with the next statement, in one round trip (issue 13). Whatever the batching, the
database must hold what immediate writes give, every statement must see the writes made
before it, and a failure must leave nothing written."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save

from alpacabackend.db import row_save, writes_batched
from paper_trading.models import LedgerEntry, LedgerKind, Trade
from paper_trading.services.trades import order_place
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import balance, ledger_sum, place
from prop_firm.models import PropFirmAccount

D = Decimal
on_postgresql = connection.vendor == "postgresql"


def postgresql_only(test):
    skip = pytest.mark.skipif(not on_postgresql, reason="several statements in one string")
    return pytest.mark.postgres(skip(test))


@contextmanager
def round_trips():
    """What the driver sends, one string per round trip, as it reaches the driver (a batch
    inside the statement that carries it). Queries are not logged, so the batch is live, as
    in production."""
    import psycopg2.extensions

    sent: list[str] = []

    class Recording(psycopg2.extensions.cursor):
        def execute(self, sql, params=None):
            sent.append(sql)
            return super().execute(sql, params)

        def executemany(self, sql, params):
            sent.append(sql)
            return super().executemany(sql, params)

    connection.ensure_connection()
    raw = connection.connection
    before = raw.cursor_factory
    raw.cursor_factory = Recording
    try:
        yield sent
    finally:
        raw.cursor_factory = before


def _entry(account, amount="-1.00", **fields) -> LedgerEntry:
    """A bare entry (the balance left alone: these tests expect the drift)."""
    return LedgerEntry(
        account=account, kind=LedgerKind.COMMISSION, amount=D(amount),
        balance_after=account.current_balance, reference="test", **fields,
    )  # fmt: skip


def _entries(account) -> int:
    return LedgerEntry.objects.filter(account=account).count()


@postgresql_only
def test_queued_writes_go_with_the_next_statement_which_sees_them(
    account, aapl, ledger_drift_expected
):
    before = _entries(account)
    with transaction.atomic(), round_trips() as sent, writes_batched():
        entry = _entry(account)
        row_save(entry, batched=True)
        assert entry.pk is None and not entry._state.adding  # written, id not known
        assert sent == []  # nothing sent yet
        assert _entries(account) == before + 1  # the next statement sees it...
        assert len(sent) == 1 and sent[0].startswith("EXECUTE")  # ...and carried it
    assert _entries(account) == before + 1


@postgresql_only
@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "plain"])
def test_an_order_closing_a_position_writes_in_one_round_trip(account, aapl, settings, prepared):
    """Prepared statements, or plain SQL behind a pooler in transaction mode."""
    settings.DB_PREPARED_STATEMENTS = prepared
    quote("AAPL", "99.98", "100.00")
    order_place(account=account, asset=aapl, direction="LONG", quantity=D("2"))
    with round_trips() as sent:
        order_place(
            account=account, asset=aapl, direction="SHORT", quantity=D("2"),
            position_effect="REDUCE",
        )  # fmt: skip
    # The close of the trade, its P&L and commission entries and the account's UPDATE: one
    # string, sent last (nothing is read after the order is written).
    # Without the test's own savepoints, and the statements PREPAREd on their first use.
    sent = [s for s in sent if not s.startswith(("SAVEPOINT", "RELEASE", "PREPARE", "SELECT p"))]
    carrying = [s for s in sent if "; " in s]
    assert len(carrying) == 1 and carrying[0] is sent[-1], sent
    assert carrying[0].count(";") == 3, carrying[0]
    trade = Trade.objects.get(account=account)
    assert trade.status == "CLOSED" and trade.exit_price == D("99.960004")  # the bid less slippage
    assert [e.kind for e in LedgerEntry.objects.filter(trade=trade).order_by("id")] == [
        "COMMISSION", "REALIZED_PNL", "COMMISSION",
    ]  # fmt: skip
    assert balance(account) == ledger_sum(account)


@postgresql_only
def test_what_is_still_queued_at_the_end_of_the_block_is_written(account, ledger_drift_expected):
    with transaction.atomic():
        with round_trips() as sent, writes_batched():
            row_save(_entry(account), batched=True)
            row_save(_entry(account, "-2.00"), batched=True)
        assert len(sent) == 1 and sent[0].count(";") == 1
        assert _entries(account) == 3  # the deposit and the two


@postgresql_only
def test_a_block_that_raises_writes_nothing_and_leaves_no_queue(account, ledger_drift_expected):
    before = _entries(account)
    with pytest.raises(RuntimeError), transaction.atomic(), writes_batched():
        row_save(_entry(account), batched=True)
        raise RuntimeError("refused after the write was queued")
    assert getattr(connection, "_write_batch", None) is None
    assert _entries(account) == before
    with transaction.atomic(), round_trips() as sent:
        LedgerEntry.objects.filter(account=account).count()
    assert len(sent) == 1 and ";" not in sent[0]  # nothing left to carry


@postgresql_only
def test_a_queued_write_the_database_refuses_fails_the_transaction(account, aapl):
    """The error comes with the statement that carried the write: the transaction is rolled
    back as a whole, the earlier immediate write with it."""
    with pytest.raises(IntegrityError), transaction.atomic(), writes_batched():
        trade = Trade(account=account, asset=aapl, direction="LONG", quantity=D("1"))
        row_save(trade)  # immediate
        trade.quantity = D("-1")  # the database's check refuses it
        row_save(trade, batched=True)
        Trade.objects.filter(account=account).count()
    assert not Trade.objects.filter(account=account).exists()


@postgresql_only
def test_statements_that_cannot_share_the_string_still_come_after_the_queue(
    account, ledger_drift_expected
):
    with transaction.atomic(), writes_batched():
        row_save(_entry(account), batched=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT '100%', count(*) FROM paper_trading_ledgerentry")  # no params
            assert cursor.fetchone() == ("100%", _entries(account))
        row_save(_entry(account, "-3.00"), batched=True)
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE paper_trading_ledgerentry SET memo = %s WHERE amount = %s",
                [("three", D("-3.00")), ("one", D("-1.00"))],
            )
    memos = dict(LedgerEntry.objects.filter(account=account).values_list("amount", "memo"))
    assert memos[D("-3.00")] == "three" and memos[D("-1.00")] == "one"


@postgresql_only
def test_a_savepoint_rolled_back_takes_its_queued_writes_with_it(account, ledger_drift_expected):
    with transaction.atomic(), writes_batched():
        row_save(_entry(account, "-1.00"), batched=True)
        try:
            with transaction.atomic():
                row_save(_entry(account, "-2.00"), batched=True)
                raise ValueError
        except ValueError:
            pass
    amounts = set(LedgerEntry.objects.filter(account=account).values_list("amount", flat=True))
    assert D("-1.00") in amounts and D("-2.00") not in amounts


def test_writes_are_immediate_where_no_batch_can_carry_them(account, ledger_drift_expected):
    """Outside a block, with a listener on the model's saves, on SQLite: written at once,
    with the id the database gives."""
    entry = _entry(account)
    with transaction.atomic():
        row_save(entry, batched=True)
    assert entry.pk is not None

    received = []

    def listener(sender, instance, **kwargs):
        received.append(instance.pk)

    post_save.connect(listener, sender=LedgerEntry)
    try:
        with transaction.atomic(), writes_batched():
            listened = _entry(account)
            row_save(listened, batched=True)
            assert listened.pk is not None
    finally:
        post_save.disconnect(listener, sender=LedgerEntry)
    assert received == [listened.pk]
    if not on_postgresql:
        with transaction.atomic(), writes_batched():
            on_sqlite = _entry(account)
            row_save(on_sqlite, batched=True)
            assert on_sqlite.pk is not None


def test_orders_through_the_api_keep_the_ledger_and_the_balance_equal(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    for side, quantity in (("buy", "3"), ("sell", "1"), ("sell", "4"), ("buy", "1")):
        r = place(api, symbol="AAPL", side=side, quantity=quantity)
        assert r.status_code == 201, r.json()
    account = PropFirmAccount.objects.get(pk=account.pk)
    assert account.current_balance == ledger_sum(account)
    pnl = LedgerEntry.objects.filter(account=account, kind="REALIZED_PNL").count()
    fees = LedgerEntry.objects.filter(account=account, kind="COMMISSION").count()
    # Buy 3 opens; sell 1 closes 1; sell 4 closes 2 and opens a short of 2 (its fee in two
    # shares); buy 1 closes 1 of the short: three closes, five commissions.
    assert (pnl, fees) == (3, 5)


@postgresql_only
def test_a_server_side_cursor_after_queued_writes_sees_them(account, ledger_drift_expected):
    """`.iterator()` reads through a server-side cursor, which declares its whole string as
    one query: the queue goes first, on a cursor of its own."""
    with transaction.atomic(), writes_batched():
        row_save(_entry(account, "-4.00"), batched=True)
        amounts = [e.amount for e in LedgerEntry.objects.filter(account=account).iterator()]
    assert D("-4.00") in amounts
