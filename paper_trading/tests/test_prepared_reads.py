"""PreparedQuery (alpacabackend/db.py): the order path's and the trade list's reads run SQL
built once per database (issue 13). They must answer exactly what the ORM answers, with the
caller's values, on SQLite (whose decimals and datetimes need converters) and PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

from alpacabackend.db import PreparedQuery
from core.models import Asset
from paper_trading.models import Trade
from paper_trading.services.trades import trade_close, trade_place
from paper_trading.tests.factories import quote

D = Decimal

TRADES_OF = PreparedQuery(
    lambda account_id, asset_id: (
        Trade.objects.select_related("asset")
        .filter(account_id=account_id, asset_id=asset_id)
        .order_by("id")
    ),
    account_id=-1,
    asset_id=-2,
)


@pytest.fixture
def trades(account, aapl, btc):
    quote("AAPL", "99.98", "100.00")
    quote("BTC/USD", "60000", "60010")
    opened = trade_place(account=account, asset=aapl, direction="LONG", quantity=D("3"))
    trade_close(trade=opened, quantity=D("1"))
    trade_place(account=account, asset=btc, direction="LONG", quantity=D("0.5"))
    return Trade.objects.filter(account=account)


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_instances_and_their_related_objects_equal_the_orms(account, aapl, btc, trades):
    for asset in (aapl, btc):
        expected = list(
            Trade.objects.select_related("asset")
            .filter(account_id=account.pk, asset_id=asset.pk)
            .order_by("id")
        )
        got = TRADES_OF(account_id=account.pk, asset_id=asset.pk)
        assert [_fields(t) for t in got] == [_fields(t) for t in expected]
        assert [_fields(t.asset) for t in got] == [_fields(t.asset) for t in expected]
        assert all(isinstance(t.quantity, Decimal) and t.created_at.tzinfo for t in got)
        assert not any(t._state.adding for t in got)


def test_values_and_values_list_equal_the_orms(account, trades):
    fields = ("id", "status", "asset__symbol", "quantity", "entry_price", "exit_at")
    as_dicts = PreparedQuery(
        lambda account_id: (
            Trade.objects.filter(account_id=account_id).order_by("id").values(*fields)
        ),
        account_id=-1,
    )
    as_tuples = PreparedQuery(
        lambda account_id: (
            Trade.objects.filter(account_id=account_id).order_by("id").values_list(*fields)
        ),
        account_id=-1,
    )
    expected = Trade.objects.filter(account_id=account.pk).order_by("id")
    assert as_dicts(account_id=account.pk) == list(expected.values(*fields))
    assert as_tuples(account_id=account.pk) == list(expected.values_list(*fields))
    assert len(as_tuples(account_id=account.pk)) == 3  # the open rest, its closed piece, BTC


def test_the_sql_is_built_once_and_each_call_uses_its_own_values(
    account, aapl, btc, trades, monkeypatch
):
    built = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: built.append(1) or as_sql(
        self, *a, **k))  # fmt: skip
    prepared = PreparedQuery(
        lambda asset_id: Trade.objects.filter(asset_id=asset_id).values_list("asset_id"),
        asset_id=-7,
    )
    assert {row[0] for row in prepared(asset_id=aapl.pk)} == {aapl.pk}
    assert {row[0] for row in prepared(asset_id=btc.pk)} == {btc.pk}
    assert prepared(asset_id=btc.pk + 1000) == []
    assert len(built) == 1


def test_an_id_beyond_any_column_matches_nothing_instead_of_failing(account, trades):
    assert TRADES_OF(account_id=2**63, asset_id=1) == []
    assert TRADES_OF(account_id=-(2**64), asset_id=1) == []


def test_a_sample_the_lookup_changes_is_refused_when_the_sql_is_built(db):
    # `icontains` wraps the value in %...%: the sample is not in the parameters as given.
    prepared = PreparedQuery(lambda text: Asset.objects.filter(name__icontains=text), text="(text)")
    with pytest.raises(ImproperlyConfigured, match="'text'"):
        prepared(text="Apple")


def test_a_sample_used_twice_takes_the_value_in_both_places(aapl, btc):
    prepared = PreparedQuery(
        lambda symbol: Asset.objects.filter(symbol=symbol, name__gt="").exclude(
            pk__in=Asset.objects.exclude(symbol=symbol).values("pk")
        ),
        symbol="(s)",
    )
    assert [a.pk for a in prepared(symbol="AAPL")] == [aapl.pk]
    assert [a.pk for a in prepared(symbol="BTC/USD")] == [btc.pk]


def test_a_locking_read_needs_a_transaction_like_the_orms(account, transactional_db):
    locked = PreparedQuery(
        lambda account_id: Trade.objects.select_for_update().filter(account_id=account_id),
        account_id=-1,
    )
    with pytest.raises(TransactionManagementError):
        locked(account_id=account.pk)
    with transaction.atomic():
        assert locked(account_id=account.pk) == []
    with pytest.raises(TransactionManagementError):
        locked(account_id=account.pk)  # built now, and still refused outside a transaction


def test_values_must_be_the_samples_names(account, trades):
    with pytest.raises(TypeError, match="asset_id"):
        TRADES_OF(account_id=account.pk)


def test_datetimes_are_adapted_as_the_orm_adapts_them(account, trades):
    """SQLite stores datetimes as text: a datetime value takes the form Django gives a
    DateTimeField lookup, so the same rows come back on both databases."""
    newest = Trade.objects.order_by("-created_at").first()
    since = PreparedQuery(
        lambda at: Trade.objects.filter(created_at__gte=at).order_by("id").values_list("id"),
        at=datetime(1901, 1, 1, tzinfo=UTC),
    )
    for at in (newest.created_at, newest.created_at + timedelta(microseconds=1)):
        expected = list(Trade.objects.filter(created_at__gte=at).order_by("id").values_list("id"))
        assert since(at=at) == expected
    assert since(at=newest.created_at) == [(newest.pk,)]


def test_a_model_read_keeps_its_annotations(account, trades):
    from django.db.models import F

    prepared = PreparedQuery(
        lambda account_id: (
            Trade.objects.filter(account_id=account_id)
            .annotate(doubled=F("quantity") * 2)
            .order_by("id")
        ),
        account_id=-1,
    )
    assert [t.doubled for t in prepared(account_id=account.pk)] == [
        t.quantity * 2 for t in Trade.objects.filter(account_id=account.pk).order_by("id")
    ]
