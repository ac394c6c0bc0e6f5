"""GET /api/paper-trading/trades/ and /positions/: wrapped lists, scoping, pinned queries."""

from decimal import Decimal

import pytest

from paper_trading.services.trades import trade_close, trade_place
from paper_trading.tests.factories import AccountFactory, quote
from paper_trading.tests.helpers import POSITIONS, TRADES

D = Decimal


def buy(account, asset, quantity="10", direction="LONG", **kwargs):
    return trade_place(account=account, asset=asset, direction=direction, quantity=D(quantity),
                       **kwargs)  # fmt: skip


@pytest.fixture
def book(account, aapl, btc):
    quote("AAPL", "99.98", "100.00")
    quote("BTC/USD", "60000", "60010")
    first = buy(account, aapl)
    second = buy(account, btc, "0.5")
    third = buy(account, aapl, "5", order_type="LIMIT", limit_price=D("90"))
    return [first, second, third]


def test_the_list_is_wrapped_and_newest_first(api, book):
    r = api.get(TRADES)
    body = r.json()
    assert r.status_code == 200
    assert set(body) == {"msg", "data", "count", "next", "previous"}
    assert body["count"] == 3
    assert [t["id"] for t in body["data"]] == [t.pk for t in reversed(book)]


def test_the_list_pages_by_limit_and_offset(api, book):
    body = api.get(TRADES, {"limit": 2}).json()
    assert (len(body["data"]), body["count"]) == (2, 3)
    assert "offset=2" in body["next"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"status": "pending"}, 1), ({"status": "OPEN"}, 2), ({"symbol": "aapl"}, 2),
     ({"status": "CLOSED"}, 0)],
)  # fmt: skip
def test_the_list_filters(api, book, params, expected):
    assert api.get(TRADES, params).json()["count"] == expected


def test_the_list_filters_by_asset_id_and_account(api, alice, book, aapl):
    assert api.get(TRADES, {"asset": aapl.pk}).json()["count"] == 2
    assert api.get(TRADES, {"asset": "BTC/USD"}).json()["count"] == 1
    other = AccountFactory(user=alice)
    assert api.get(TRADES, {"account_id": other.pk}).json()["count"] == 0


def test_an_unknown_status_is_refused(api, book):
    r = api.get(TRADES, {"status": "WHATEVER"})
    assert (r.status_code, r.json()["code"]) == (400, "VALIDATION_ERROR")


def test_bob_sees_none_of_alices_trades(bob_api, bob_account, book):
    assert bob_api.get(TRADES).json()["count"] == 0
    r = bob_api.get(TRADES, {"account_id": book[0].account_id})
    assert r.status_code == 404


def test_open_trades_are_valued_at_the_latest_quote(api, book):
    quote("AAPL", "104.98", "105.00")
    data = {t["id"]: t for t in api.get(TRADES).json()["data"]}
    first = data[book[0].pk]
    assert first["current_price"] == "104.980000"
    assert first["current_value"] == "1049.80"
    assert first["unrealized_pl"] == "49.60"  # (104.98 − 100.02) × 10


def test_the_list_runs_a_fixed_number_of_queries(api, account, aapl, btc,
                                                 django_assert_num_queries):  # fmt: skip
    quote("AAPL", "99.98", "100.00")
    for _ in range(3):
        buy(account, aapl)
    # auth user, then one statement: the shown account, the rows and their count
    with django_assert_num_queries(2):
        assert api.get(TRADES).json()["count"] == 3
    for _ in range(60):
        trade_close(trade=buy(account, aapl, "1"), quantity=D("1"))
    # more than the unpaged list's bound: the same statement counts them all
    with django_assert_num_queries(2):
        assert api.get(TRADES).json()["count"] == 63
    # the account ownership check, then the statement
    with django_assert_num_queries(3):
        api.get(TRADES, {"account_id": account.pk})
    with django_assert_num_queries(2):
        api.get(TRADES, {"all": "true"})
    # paged: the count and the page
    with django_assert_num_queries(3):
        assert len(api.get(TRADES, {"limit": 10}).json()["data"]) == 10


def test_positions_aggregate_open_trades_per_symbol_and_direction(api, account, aapl, btc):
    quote("AAPL", "99.98", "100.00")
    buy(account, aapl, "10")
    quote("AAPL", "101.98", "102.00")
    buy(account, aapl, "30")
    buy(account, aapl, "5", direction="SHORT")
    quote("BTC/USD", "60000", "60010")
    buy(account, btc, "0.5", order_type="LIMIT", limit_price=D("50000"))  # pending: not a position
    quote("AAPL", "104.98", "105.00")

    body = api.get(POSITIONS).json()
    assert body["msg"] == "Positions retrieved."
    long, short = body["data"]
    # entries 100.02 × 10 and 102.0204 × 30: average (1000.2 + 3060.612) / 40 = 101.5203
    assert long == {
        "symbol": "AAPL", "asset": aapl.pk, "direction": "LONG", "quantity": "40.000000",
        "avg_entry_price": "101.520300", "current_price": "104.980000",
        "market_value": "4199.20",
        # 104.98 × 40 − 4060.812 = 138.388 → 138.39 (commissions are in the balance)
        "unrealized_pl": "138.39",
    }  # fmt: skip
    assert (short["direction"], short["quantity"], short["current_price"]) == (
        "SHORT", "5.000000", "105.000000",
    )  # fmt: skip
    # entry 101.98 × 0.9998 = 101.959604; (101.959604 − 105) × 5 = −15.20198
    assert short["unrealized_pl"] == "-15.20"


def test_positions_for_an_explicit_account_and_for_bob(api, bob_api, account, book):
    assert len(api.get(POSITIONS, {"account_id": account.pk}).json()["data"]) == 2
    assert bob_api.get(POSITIONS, {"account_id": account.pk}).status_code == 404
    assert bob_api.get(POSITIONS).json()["data"] == []


def test_positions_run_a_fixed_number_of_queries(api, account, aapl, btc, book,
                                                 django_assert_num_queries):  # fmt: skip
    for _ in range(5):
        buy(account, aapl, "1")
    # auth user, latest active account, open trades
    with django_assert_num_queries(3):
        assert len(api.get(POSITIONS).json()["data"]) == 2


def test_without_account_id_the_list_shows_the_account_the_app_shows_and_orders_use(
    api, alice, account, aapl, btc
):
    """The web app sends no account_id: it shows the first ACTIVE account of its accounts
    list and adds that account's open P&L to it. The list and an order without account_id
    pick the same account (one selector)."""
    quote("AAPL", "99.98", "100.00")
    quote("BTC/USD", "60000", "60010")
    buy(account, aapl)
    newer = AccountFactory(user=alice)
    AccountFactory(user=alice, status="FAILED")  # newest of all, but not active
    shown = api.get("/api/prop-firm/accounts/").json()["data"]
    current = next(a for a in shown if a["status"] == "ACTIVE")
    assert current["id"] == newer.pk

    assert api.get(TRADES).json()["count"] == 0
    placed = api.post(TRADES, {"symbol": "BTC/USD", "side": "buy", "quantity": "0.1"},
                      format="json").json()["data"]  # fmt: skip
    assert placed["account"] == newer.pk
    assert [t["account"] for t in api.get(TRADES).json()["data"]] == [newer.pk]
    assert api.get(TRADES, {"account_id": account.pk}).json()["count"] == 1
    assert api.get(TRADES, {"all": "true"}).json()["count"] == 2


def test_without_an_active_account_the_list_shows_the_newest_account(api, alice, account, aapl):
    quote("AAPL", "99.98", "100.00")
    trade_close(trade=buy(account, aapl), quantity=D("10"))
    account.status = "FAILED"
    account.save(update_fields=["status"])
    assert api.get(TRADES).json()["count"] == 1
    assert api.get(POSITIONS).json()["data"] == []


def test_balance_plus_the_positions_unrealised_pl_is_the_equity(api, account, aapl, btc):
    """RULES.md: B + Σ positions' unrealised P&L = E (the entry commission counts once)."""
    from prop_firm.services.rule_engine import account_mark

    quote("AAPL", "99.98", "100.00")
    buy(account, aapl, "400")
    buy(account, aapl, "10", direction="SHORT")
    quote("AAPL", "100.38", "100.40")
    account.refresh_from_db()
    account_mark(account=account)

    positions = api.get(POSITIONS).json()["data"]
    trades = [t for t in api.get(TRADES).json()["data"] if t["status"] == "OPEN"]

    unrealised = sum(D(p["unrealized_pl"]) for p in positions)
    assert account.current_balance + unrealised == account.equity
    assert sum(D(t["unrealized_pl"]) for t in trades) == unrealised
