"""What one market order costs the database and the cache (issue 13): pinned, because an
order must cost the same on day 1 and on day 300 and every statement is a round trip."""

from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paper_trading.models import Trade
from paper_trading.services.trades import order_place, trade_place
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import place

CACHE_CALLS = ("get", "get_many", "set", "set_many", "add", "incr", "delete", "has_key")


@pytest.fixture
def cache_calls(monkeypatch):
    """Counts the calls into the cache backend (each one is a Redis round trip in production)."""
    backend = caches["default"]
    calls = []
    depth = [0]
    for name in CACHE_CALLS:
        original = getattr(backend, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            # The in-process backend answers get_many with a get per key: one call counted.
            if depth[0] == 0:
                calls.append(_name)
            depth[0] += 1
            try:
                return _original(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)
    return calls


def _statements(captured):
    return [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_market_order_that_opens_a_position_takes_at_most_ten_statements(account, aapl):
    quote("AAPL", "99.98", "100.00")
    trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("1"))  # the reset
    with CaptureQueriesContext(connection) as captured:
        trade = trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("2"))
    statements = _statements(captured.captured_queries)
    assert len(statements) <= 6, "\n".join(statements)  # goal ≤ 10
    # One UPDATE of the account, and the trade INSERTed OPEN (never PENDING then UPDATEd).
    assert sum(s.startswith('UPDATE "prop_firm_propfirmaccount"') for s in statements) == 1
    assert not any(s.startswith('UPDATE "paper_trading_trade"') for s in statements)
    assert Trade.objects.get(pk=trade.pk).status == "OPEN"


def test_a_market_order_reads_the_cache_at_most_twice(account, aapl, cache_calls):
    quote("AAPL", "99.98", "100.00")
    trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("1"))
    cache_calls.clear()
    trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("2"))
    assert len(cache_calls) <= 2, cache_calls


def test_an_order_beside_other_positions_reads_their_quotes_in_one_more_round_trip(
    account, aapl, cache_calls
):
    from paper_trading.tests.factories import AssetFactory

    quote("AAPL", "99.98", "100.00")
    for symbol in ("MSFT", "NVDA", "TSLA"):
        quote(symbol, "10.00", "10.01")
        asset = AssetFactory(symbol=symbol)
        trade_place(account=account, asset=asset, direction="LONG", quantity=Decimal("1"))
    cache_calls.clear()
    trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("2"))
    # The order's symbol before the lock; the other positions' in the pre-trade check; the
    # after-fill valuation reads them from the request's memo.
    assert cache_calls == ["get_many", "get_many"], cache_calls


def test_the_order_request_values_its_answer_with_the_quote_it_read(
    api, account, aapl, cache_calls
):
    quote("AAPL", "99.98", "100.00")
    place(api, symbol="AAPL", side="buy", quantity="1")
    cache_calls.clear()
    r = place(api, symbol="AAPL", side="buy", quantity="2")
    assert r.status_code == 201, r.json()
    assert r.json()["data"]["current_price"] == "99.980000"  # valued at the bid it can sell at
    assert cache_calls.count("get_many") == 1, cache_calls  # the quote, read once


def test_the_order_request_stays_within_its_statements(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    place(api, symbol="AAPL", side="buy", quantity="1")
    with CaptureQueriesContext(connection) as captured:
        r = place(api, symbol="AAPL", side="buy", quantity="2")
    assert r.status_code == 201, r.json()
    statements = _statements(captured.captured_queries)
    # The service's six, and the request's own: the user and the asset. The account the
    # order names is checked as it is locked, and the answer is built from the objects the
    # order already holds.
    assert len(statements) <= 8, "\n".join(statements)


def test_an_order_that_closes_a_position_reads_nothing_to_answer(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    place(api, symbol="AAPL", side="buy", quantity="2")
    with CaptureQueriesContext(connection) as captured:
        r = place(api, symbol="AAPL", side="sell", quantity="2")
    assert r.status_code == 201, r.json()
    assert r.json()["data"]["status"] == "CLOSED"
    assert r.json()["data"]["account_number"] == account.account_number
    statements = _statements(captured.captured_queries)
    # The user, the asset; the account's lock, the trades it closes, the positions; the
    # trade, its two ledger entries (P&L, commission) and the account.
    assert len(statements) <= 9, "\n".join(statements)
    last_write = max(
        i for i, s in enumerate(statements) if s.startswith(("UPDATE", "INSERT", "DELETE"))
    )
    assert not statements[last_write + 1 :], "read after the order was written"


def test_the_positions_after_a_fill_are_those_a_reload_would_give(account, aapl, monkeypatch):
    """The after-fill step applies the fills to the positions the check read instead of
    reading them again: for opens, partial and whole reducing fills and a resting order."""
    from prop_firm.services import rule_engine
    from prop_firm.services.rule_engine import checks

    compared = []
    # The check reads the helper through its own module, so that is where it is replaced.
    original = checks._positions_after_fills

    def compare(locked):
        snapshot = original(locked)
        if snapshot is not None:
            reloaded = rule_engine.account_snapshot_live(account=locked, quotes={})
            assert snapshot.state.positions == reloaded.state.positions
            compared.append(len(snapshot.state.positions))
        return snapshot

    monkeypatch.setattr(checks, "_positions_after_fills", compare)
    quote("AAPL", "99.98", "100.00")
    for quantity in ("10", "5"):
        place_opening = trade_place(
            account=account, asset=aapl, direction="LONG", quantity=Decimal(quantity)
        )
    assert place_opening.status == "OPEN"
    # side=sell nets: 12 closes the first trade and part of the second; 7 more closes the
    # rest and opens a short of 4.
    from paper_trading.services.trades import order_place, orders_match

    order_place(
        account=account, asset=aapl, direction="SHORT", quantity=Decimal("12"),
        position_effect="REDUCE",
    )  # fmt: skip
    order_place(
        account=account, asset=aapl, direction="SHORT", quantity=Decimal("7"),
        position_effect="REDUCE",
    )  # fmt: skip
    order_place(
        account=account, asset=aapl, direction="LONG", quantity=Decimal("2"),
        order_type="LIMIT", limit_price=Decimal("99.00"),
    )  # fmt: skip
    quote("AAPL", "98.50", "98.90")
    assert orders_match(symbols=["AAPL"]) == 1
    assert compared == [1, 2, 1, 1, 2]
    assert Trade.objects.filter(account=account, status="OPEN").count() == 2


def test_an_order_with_its_keys_reads_what_they_name_once(api, account, aapl):
    """A bot's order carries a client_order_id, a careful client an Idempotency-Key: the
    trades they name (opened by it, or closed by it) are one read, and a retry answers
    the first result."""
    quote("AAPL", "99.98", "100.00")
    place(api, symbol="AAPL", side="buy", quantity="2")
    body = {"symbol": "AAPL", "side": "sell", "quantity": "3", "client_order_id": "bot-7"}
    with CaptureQueriesContext(connection) as captured:
        r = api.post("/api/paper-trading/trades/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert r.status_code == 201, r.json()
    statements = _statements(captured.captured_queries)
    # The user, the account, the asset; the lock, the keyed trades (one read), the trades it
    # closes, the positions; the close and its two ledger entries; the positions again for
    # the rest (its buying power counts the pending orders); the rest and its commission;
    # the account.
    keyed = [s for s in statements if s.startswith("SELECT") and '"client_order_id" = ' in s]
    assert len(keyed) == 1, "\n".join(keyed)
    assert len(statements) <= 14, "\n".join(statements)
    again = api.post("/api/paper-trading/trades/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-7")
    assert again.json()["data"]["id"] == r.json()["data"]["id"]
    assert again.json()["data"]["closed_trade_ids"] == r.json()["data"]["closed_trade_ids"]
    assert again.json()["data"]["opened_trade_id"] == r.json()["data"]["opened_trade_id"]
    assert Trade.objects.filter(account=account).count() == 2


def _trade_reads(statements) -> list[str]:
    return [s for s in statements if s.startswith("SELECT") and 'FROM "paper_trading_trade"' in s]


def test_an_order_with_nothing_to_net_reads_the_account_trades_once(account, aapl):
    """A buy with no short open (the side format nets): the live trades it reads for its
    netting are those the firm's check judges it on; nothing is read again, nothing locked."""
    quote("AAPL", "99.98", "100.00")
    trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("1"))
    with CaptureQueriesContext(connection) as captured:
        order_place(
            account=account, asset=aapl, direction="LONG", quantity=Decimal("2"),
            position_effect="REDUCE",
        )  # fmt: skip
    reads = _trade_reads(_statements(captured.captured_queries))
    assert len(reads) == 1, "\n".join(reads)
    assert Trade.objects.filter(account=account, status="OPEN").count() == 2


def test_an_order_that_nets_locks_what_it_closes_and_judges_its_rest_after_the_closes(
    account, aapl
):
    quote("AAPL", "99.98", "100.00")
    trade_place(account=account, asset=aapl, direction="LONG", quantity=Decimal("1"))
    with CaptureQueriesContext(connection) as captured:
        result = order_place(
            account=account, asset=aapl, direction="SHORT", quantity=Decimal("3"),
            position_effect="REDUCE",
        )  # fmt: skip
    reads = _trade_reads(_statements(captured.captured_queries))
    # The live trades; the long it closes, whole (and locked, where the database locks);
    # the live trades again for the rest, once the close is written.
    assert len(reads) == 3, "\n".join(reads)
    assert [t.status for t in result.closed] == ["CLOSED"]
    assert result.opened.status == "OPEN" and result.opened.quantity == Decimal("2")
