"""The trade list is serialized from plain rows (issue 13): the same JSON as TradeOutput,
to the character, for trades in every state. Unpaged, it is bounded: the live trades first,
then the newest finished ones, read from an index; its cost does not grow with the account."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from core.quotes import quotes_get
from paper_trading.api import serializers as s
from paper_trading.api.views import TradeListPagination
from paper_trading.models import Trade
from paper_trading.services.trades import trade_cancel, trade_close, trade_place
from paper_trading.tests.factories import AccountFactory, quote
from paper_trading.tests.helpers import TRADES

D = Decimal


def buy(account, asset, quantity="1", **kwargs):
    return trade_place(
        account=account, asset=asset, direction="LONG", quantity=D(quantity), **kwargs
    )


def pending(account, asset):
    return buy(account, asset, order_type="LIMIT", limit_price=D("50"))


def closed(account, asset):
    return trade_close(trade=buy(account, asset))


def test_rows_give_the_same_json_as_the_model_serializer(account, aapl, btc):
    quote("AAPL", "99.98", "100.00")
    quote("BTC/USD", "60000", "60010")
    opened = buy(account, aapl, "10")
    trade_close(trade=opened, quantity=D("4"))  # a split: a closed piece and the rest
    short = trade_place(
        account=account, asset=aapl, direction="SHORT", quantity=D("3"),
        stop_loss=D("120"), take_profit=D("80"), notes="hedge",
    )  # fmt: skip
    trade_close(trade=short)
    buy(account, aapl, order_type="LIMIT", limit_price=D("50"), client_order_id="mine-1")
    trade_cancel(trade=buy(account, aapl, order_type="LIMIT", limit_price=D("40")))
    buy(account, btc, "0.5")  # open, valued without a quote below
    quote("AAPL", "101.37", "101.41")
    quotes = quotes_get(["AAPL"])

    trades = Trade.objects.filter(account=account).order_by("-created_at", "-id")
    assert {t.status for t in trades} == {"OPEN", "CLOSED", "PENDING", "CANCELLED"}
    assert trades.filter(split_from__isnull=False).exists()
    expected = s.TradeOutput(trades, many=True, context={"quotes": quotes}).data
    rows = s.trade_rows_output(trades.values(*s.TRADE_ROW_FIELDS), quotes)
    # The same keys in the same order, the same values: the same JSON to the character.
    assert JSONRenderer().render(rows) == JSONRenderer().render(expected)
    btc_item = next(item for item in rows if item["asset_symbol"] == "BTC/USD")
    assert (btc_item["status"], btc_item["current_price"]) == ("OPEN", None)


@pytest.mark.parametrize("count", [5, 60])
def test_the_list_takes_the_same_queries_whatever_its_length(
    api, account, aapl, count, django_assert_max_num_queries
):
    quote("AAPL", "99.98", "100.00")
    Trade.objects.bulk_create(
        Trade(
            account=account, asset=aapl, direction="LONG", status="OPEN",
            quantity=D("1"), entry_price=D("100"),
        )
        for _ in range(count)
    )  # fmt: skip
    with django_assert_max_num_queries(6):
        r = api.get(TRADES)
    assert r.status_code == 200
    assert r.json()["count"] == count
    assert len(r.json()["data"]) == min(count, TradeListPagination.unpaged_max)


@pytest.fixture
def bound(monkeypatch):
    monkeypatch.setattr(TradeListPagination, "unpaged_max", 4)
    return 4


@pytest.fixture
def history(account, aapl):
    """Oldest first: finished, open, finished, finished, pending, finished, finished."""
    quote("AAPL", "99.98", "100.00")
    return [
        closed(account, aapl),
        buy(account, aapl),
        closed(account, aapl),
        closed(account, aapl),
        pending(account, aapl),
        closed(account, aapl),
        closed(account, aapl),
    ]


def test_the_unpaged_list_is_live_trades_then_the_newest_finished_ones(api, bound, history):
    _, old_open, _, _, order, f4, f5 = history
    body = api.get(TRADES).json()
    assert body["count"] == 7
    assert [t["id"] for t in body["data"]] == [order.pk, old_open.pk, f5.pk, f4.pk]
    assert body["previous"] is None


def test_next_leads_to_every_trade_the_unpaged_list_left_out(api, bound, history):
    body = api.get(TRADES).json()
    assert "limit=" in body["next"] and "offset=2" in body["next"]
    rest = api.get(body["next"]).json()
    shown = {t["id"] for t in body["data"]} | {t["id"] for t in rest["data"]}
    assert shown == {t.pk for t in history}


def test_next_counts_the_live_trades_newer_than_the_last_finished_one(api, account, aapl,
                                                                      bound):  # fmt: skip
    quote("AAPL", "99.98", "100.00")
    old = [closed(account, aapl) for _ in range(3)]
    older = closed(account, aapl)
    live = [buy(account, aapl), pending(account, aapl)]
    newest = closed(account, aapl)
    body = api.get(TRADES).json()
    assert [t["id"] for t in body["data"]] == [live[1].pk, live[0].pk, newest.pk, older.pk]
    # Newest first: newest, the two live ones, older; then the rest.
    assert "offset=4" in body["next"]
    rest = api.get(body["next"]).json()
    assert [t["id"] for t in rest["data"]] == [old[2].pk, old[1].pk, old[0].pk]


def test_when_live_trades_exceed_the_bound_the_newest_are_shown_and_paging_has_all(
    api, account, aapl, bound
):
    quote("AAPL", "99.98", "100.00")
    finished = closed(account, aapl)
    live = [buy(account, aapl) for _ in range(5)]
    body = api.get(TRADES).json()
    assert body["count"] == 6
    assert [t["id"] for t in body["data"]] == [t.pk for t in reversed(live[1:])]
    assert "offset=0" in body["next"]
    rest = api.get(body["next"], {"limit": 10}).json()
    assert {t["id"] for t in rest["data"]} == {finished.pk, *(t.pk for t in live)}


def test_the_list_is_one_statement_after_the_user_with_or_without_an_account(
    api, alice, account, aapl, django_assert_num_queries
):
    quote("AAPL", "99.98", "100.00")
    closed(account, aapl)
    buy(account, aapl)
    # auth user, then the account shown, the rows and their count in one statement
    with django_assert_num_queries(2):
        body = api.get(TRADES).json()
    assert (body["count"], len(body["data"]), body["next"]) == (2, 2, None)
    account.status = "FAILED"
    account.save(update_fields=["status"])
    newer = AccountFactory(user=alice, status="FAILED")
    # No active account: the newest one is shown (here without trades), still one statement.
    with django_assert_num_queries(2):
        body = api.get(TRADES).json()
    assert (body["count"], body["data"]) == (0, [])
    type(newer).objects.filter(pk=newer.pk).update(created_at=account.created_at - timedelta(1))
    assert api.get(TRADES).json()["count"] == 2  # the newest: the failed challenge's history


def test_a_trader_without_an_account_gets_an_empty_list(bob_api):
    body = bob_api.get(TRADES).json()
    assert (body["count"], body["data"], body["next"]) == (0, [], None)


def test_paged_calls_stay_newest_first(api, bound, history):
    body = api.get(TRADES, {"limit": 3}).json()
    assert [t["id"] for t in body["data"]] == [t.pk for t in reversed(history[-3:])]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_postgresql_reads_the_unpaged_list_from_its_index_without_a_sort(account, aapl):
    """The ORDER BY must be the index's own expression (LIVE_FIRST), or PostgreSQL sorts
    every trade of the account (40 ms at 10,000 trades)."""
    Trade.objects.bulk_create(
        Trade(
            account=account, asset=aapl, direction="LONG", status="CLOSED",
            quantity=D("1"), entry_price=D("100"), exit_price=D("101"), realized_pl=D("1"),
        )
        for _ in range(200)
    )  # fmt: skip
    client = APIClient()
    client.force_authenticate(account.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(TRADES).json()["count"] == 200
    statement = queries.captured_queries[-1]["sql"]  # the list's own (as run, values inlined)
    assert "LIMIT 50" in statement
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "trade_account_live_first" in plan
    # Only the trader's few accounts are sorted (to find the one shown), never the trades.
    sorts = [line for line in plan.splitlines() if "Sort Key" in line]
    assert not [line for line in sorts if "paper_trading_trade" in line], plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_list_is_planned_once_and_its_plan_reads_the_index_without_a_sort(account, aapl):
    """Prepared on the connection, the list runs one generic plan (plan_cache_mode in the
    settings): that plan too must read the trades in order from their index."""
    from paper_trading import selectors

    Trade.objects.bulk_create(
        Trade(account=account, asset=aapl, direction="LONG", status="CLOSED", quantity=D("1"),
              entry_price=D("100"), exit_price=D("101"), realized_pl=D("1"))
        for _ in range(200)
    )  # fmt: skip
    client = APIClient()
    client.force_authenticate(account.user)
    for _ in range(6):
        assert client.get(TRADES).json()["count"] == 200
    read = selectors._live_first_read(
        (("shown_of",), False), tuple(s.TRADE_ROW_FIELDS), TradeListPagination.unpaged_max
    )  # the web app's list: the account shown, no filter
    statement = read._compiled["default"].statement
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans FROM pg_prepared_statements WHERE name = %s", [statement.name]
        )
        assert cursor.fetchone()[0] >= 6  # never planned again
        cursor.execute(f"EXPLAIN EXECUTE {statement.name}(%s)", [account.user.pk])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "trade_account_live_first" in plan
    sorts = [line for line in plan.splitlines() if "Sort Key" in line]
    assert not [line for line in sorts if "paper_trading_trade" in line], plan


@pytest.mark.parametrize(
    "params",
    [{}, {"status": "closed"}, {"status": "OPEN"}, {"symbol": "aapl"}, {"asset": "btc/usd"},
     {"asset": "AAPL", "symbol": "aapl"}, {"asset": "AAPL", "symbol": "BTC/USD"}, {"all": "true"},
     {"all": "true", "status": "CLOSED", "symbol": "Aapl"}, {"account_id": "other"}],
)  # fmt: skip
def test_the_unpaged_list_counts_and_holds_what_the_paged_list_pages_through(
    api, alice, account, aapl, btc, bound, params
):
    """The unpaged list reads its rows and count with SQL built once per filter shape; it
    must agree with the paged list (the ORM's queryset) for every shape, over two accounts,
    whatever the case of a symbol."""
    quote("AAPL", "99.98", "100.00")
    quote("BTC/USD", "60000", "60010")
    other = AccountFactory(user=alice)
    for trader_account in (account, other):
        for _ in range(3):
            closed(trader_account, aapl)
        buy(trader_account, aapl)
        closed(trader_account, btc)
        pending(trader_account, btc)
    if params.get("account_id") == "other":
        params = {"account_id": other.pk}
    unpaged = api.get(TRADES, params).json()
    paged = api.get(TRADES, {**params, "limit": 100}).json()
    assert unpaged["count"] == paged["count"]
    ids = [t["id"] for t in paged["data"]]
    assert len(unpaged["data"]) == min(bound, len(ids))
    assert {t["id"] for t in unpaged["data"]} <= set(ids)
    live = [t["id"] for t in paged["data"] if t["status"] in ("OPEN", "PENDING")]
    assert [t["id"] for t in unpaged["data"]][: len(live)] == live[:bound]
