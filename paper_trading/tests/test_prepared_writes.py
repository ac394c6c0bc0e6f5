"""row_save and Statement (alpacabackend/db.py): the order path's INSERTs and UPDATEs run SQL
built once per model and field list, and on PostgreSQL every prepared statement is planned
once per connection (issue 13). What lands in the database, and what the instance holds
afterwards, must be what `Model.save()` gives."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import F, IntegerField, Value
from django.db.models.signals import post_save, pre_save

from alpacabackend.db import PreparedQuery, Statement, row_save
from paper_trading.models import LedgerEntry, LedgerKind, Trade
from prop_firm.models import PropFirmAccount

D = Decimal


def postgresql_only(test):
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql", reason="server-side prepared statements"
    )
    return pytest.mark.postgres(skip(test))


def _trade(account, asset, **changes) -> Trade:
    fields = {
        "account": account, "asset": asset, "direction": "LONG", "order_type": "LIMIT",
        "status": "PENDING", "quantity": D("2.5"), "limit_price": D("99.123456"),
        "notes": "100% sure", "client_order_id": None,
    }  # fmt: skip
    return Trade(**{**fields, **changes})


def _stored(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    return {k: v for k, v in row.items() if k not in ("id", "uuid", "created_at", "updated_at")}


def test_an_insert_stores_and_answers_what_save_does(account, aapl):
    saved, prepared = _trade(account, aapl), _trade(account, aapl)
    saved.save()
    row_save(prepared)
    assert prepared.pk is not None and prepared.pk != saved.pk
    assert not prepared._state.adding and prepared._state.db == "default"
    assert _stored(Trade, prepared.pk) == _stored(Trade, saved.pk)
    stored = Trade.objects.get(pk=prepared.pk)
    assert stored.uuid == prepared.uuid  # the default made in Python is the one stored
    assert stored.created_at == prepared.created_at and prepared.updated_at is not None
    assert stored.notes == "100% sure"  # a % in a value is a value, not a placeholder


def test_an_update_writes_every_field_or_only_those_named(account, aapl):
    trade = _trade(account, aapl)
    row_save(trade)
    before = Trade.objects.get(pk=trade.pk).updated_at
    trade.status, trade.quantity, trade.notes = "CANCELLED", D("1"), "changed"
    row_save(trade)
    stored = Trade.objects.get(pk=trade.pk)
    assert (stored.status, stored.quantity, stored.notes) == ("CANCELLED", D("1"), "changed")
    assert stored.updated_at > before  # auto_now, as save() sets it

    trade.quantity, trade.notes = D("7"), "not written"
    row_save(trade, update_fields=["updated_at", "quantity"])
    stored = Trade.objects.get(pk=trade.pk)
    assert (stored.quantity, stored.notes) == (D("7"), "changed")


def test_the_accounts_update_moves_only_its_named_columns(account):
    account.refresh_from_db()
    account.equity, account.unrealized_pl = D("100012.34"), D("12.34")
    row_save(account, update_fields=["equity", "updated_at"])
    stored = PropFirmAccount.objects.get(pk=account.pk)
    assert stored.equity == D("100012.34")
    assert stored.unrealized_pl != D("12.34")


def test_an_update_of_a_row_that_is_gone_fails_and_writes_nothing(account, aapl):
    trade = _trade(account, aapl)
    row_save(trade)
    Trade.objects.filter(pk=trade.pk).delete()
    trade.notes = "again"
    with pytest.raises(DatabaseError), transaction.atomic():
        row_save(trade)
    assert not Trade.objects.filter(pk=trade.pk).exists()


def test_bad_field_names_and_append_only_rows_are_refused(account, aapl):
    trade = _trade(account, aapl)
    row_save(trade)
    with pytest.raises(ValueError, match="no_such_field"):
        row_save(trade, update_fields=["no_such_field"])
    entry = LedgerEntry.objects.filter(account=account).first()
    entry.memo = "rewritten"
    with pytest.raises(ValidationError, match="append-only"):
        row_save(entry)
    assert LedgerEntry.objects.get(pk=entry.pk).memo != "rewritten"


def test_signals_are_sent_as_save_sends_them(account, aapl):
    seen = []

    def before(sender, instance, update_fields, **kw):
        seen.append(("pre", instance.pk is None, update_fields))

    def after(sender, instance, created, update_fields, **kw):
        seen.append(("post", created, update_fields))

    pre_save.connect(before, sender=Trade)
    post_save.connect(after, sender=Trade)
    try:
        trade = _trade(account, aapl)
        row_save(trade)
        row_save(trade, update_fields=["notes"])
    finally:
        pre_save.disconnect(before, sender=Trade)
        post_save.disconnect(after, sender=Trade)
    assert seen == [
        ("pre", True, None),
        ("post", True, None),
        ("pre", False, frozenset({"notes"})),
        ("post", False, frozenset({"notes"})),
    ]


def test_an_expression_as_a_value_goes_through_save(account, aapl):
    trade = _trade(account, aapl)
    row_save(trade)
    trade.quantity = F("quantity") + 1
    row_save(trade, update_fields=["quantity"])
    assert Trade.objects.get(pk=trade.pk).quantity == D("3.5")


def test_a_ledger_entry_written_by_the_order_path_sums_to_the_balance(account, aapl):
    from paper_trading.services.ledger import ledger_post

    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update().get(pk=account.pk)
        entry = ledger_post(account=locked, kind=LedgerKind.ADJUSTMENT, amount=D("-10.005"))
    assert entry.pk is not None and entry.amount == D("-10.00")  # half-even to cents
    total = sum(LedgerEntry.objects.filter(account=account).values_list("amount", flat=True))
    assert PropFirmAccount.objects.get(pk=account.pk).current_balance == total


# --- on PostgreSQL: planned once per connection -----------------------------------------------


def _executions(name: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE name = %s",
            [name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@postgresql_only
def test_writes_and_reads_run_as_prepared_statements(account, aapl):
    from alpacabackend.db import _WRITES

    trade = _trade(account, aapl)
    row_save(trade)
    insert = _WRITES[(Trade, "default", True, None)].statement
    executed = _executions(insert.name)
    assert executed is not None  # PREPAREd on this connection, then EXECUTEd
    row_save(_trade(account, aapl))
    assert _executions(insert.name) == executed + 1

    reads = PreparedQuery(lambda pk: Trade.objects.filter(pk=pk), pk=-77)
    assert [t.pk for t in reads(pk=trade.pk)] == [trade.pk]
    assert [t.pk for t in reads(pk=trade.pk)] == [trade.pk]
    assert _executions(reads._compiled["default"].statement.name) == 2


@postgresql_only
def test_a_value_postgresql_would_read_as_text_keeps_its_type(account, aapl):
    """A parameter in the select list has no type to infer: PREPARE would make it text, so
    that statement runs plain and the number comes back a number."""
    trade = _trade(account, aapl)
    row_save(trade)
    tagged = PreparedQuery(
        lambda pk, tag: Trade.objects.filter(pk=pk).annotate(
            tag=Value(tag, output_field=IntegerField())
        ),
        pk=-78,
        tag=-79,
    )
    for tag in (5, 6):
        assert tagged(pk=trade.pk, tag=tag)[0].tag == tag
    assert _executions(tagged._compiled["default"].statement.name) is None


@postgresql_only
def test_a_statement_the_server_refuses_to_prepare_runs_plain_in_the_same_transaction(db):
    refused = Statement("SELECT %s IS NULL", [None], [[0]])  # $1 IS NULL: no type to infer
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the transaction has begun
        for value in (None, 5):
            refused.execute(cursor, [value])
            assert cursor.fetchone() == (value is None,)
        cursor.execute("SELECT 2")  # the failed PREPARE left it usable
        assert cursor.fetchone() == (2,)
    assert _executions(refused.name) is None


@postgresql_only
def test_behind_a_transaction_pooler_statements_run_plain(account, aapl, settings):
    settings.DB_PREPARED_STATEMENTS = False
    trade = _trade(account, aapl)
    row_save(trade)
    reads = PreparedQuery(lambda pk: Trade.objects.filter(pk=pk), pk=-80)
    assert [t.pk for t in reads(pk=trade.pk)] == [trade.pk]
    assert _executions(reads._compiled["default"].statement.name) is None


def test_values_are_prepared_as_get_db_prep_save_prepares_them(account, aapl):
    """row_save's per-field shortcut (`_prep_of`) against Django's own preparation, for every
    field of the order path's models: the values an order holds, None, and values the
    preparation changes or refuses, which the shortcut must leave to it."""
    import warnings
    from datetime import date, datetime

    from alpacabackend.db import _prep_of

    odd = ["1.50", 3, 2.5, True, D("NaN"), D("-Infinity"), datetime(2026, 1, 2, 3, 4, 5),
           date(2026, 1, 2), "", "7"]  # fmt: skip
    closed = _trade(account, aapl, status="CLOSED", entry_price=D("10.5"))
    closed.exit_price, closed.realized_pl = D("11.25"), D("0.75")
    row_save(closed)
    instances = [
        Trade.objects.get(pk=closed.pk),
        LedgerEntry.objects.filter(account=account).first(),
        PropFirmAccount.objects.get(pk=account.pk),
    ]
    checked = 0
    for instance in instances:
        for field in type(instance)._meta.local_concrete_fields:
            prep = _prep_of(field, connection)
            for value in [getattr(instance, field.attname), None, *odd]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a naive datetime warns, both ways
                    try:
                        expected = field.get_db_prep_save(value, connection=connection)
                    except Exception as refused:  # the shortcut must refuse it too
                        with pytest.raises(type(refused)):
                            prep(value)
                        continue
                    got = prep(value)
                assert got == expected and type(got) is type(expected), (field, value)
                checked += 1
    assert checked > 300


def test_a_database_that_refuses_the_probe_takes_the_full_preparation(settings):
    """SQLite without USE_TZ refuses an aware datetime: the shortcut is not taken, and
    building the write does not fail."""
    from datetime import datetime

    from alpacabackend.db import _prep_of

    settings.USE_TZ = False
    field = Trade._meta.get_field("entry_at")
    prep = _prep_of(field, connection)
    naive = datetime(2026, 1, 2, 3, 4, 5)
    assert prep(naive) == field.get_db_prep_save(naive, connection=connection)
