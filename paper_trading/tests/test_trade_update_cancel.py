"""PATCH, DELETE and POST .../cancel/ on a trade."""

from decimal import Decimal

import pytest

from paper_trading.models import Trade
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import (
    TRADES,
    balance,
    entries,
    ledger_sum,
    place,
    trade_url,
)

D = Decimal


@pytest.fixture
def pending(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    return place(api, symbol="AAPL", side="buy", quantity="10", order_type="limit",
                 limit_price="95", notes="dip").json()["data"]  # fmt: skip


@pytest.fixture
def open_trade(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    return place(api, symbol="AAPL", side="buy", quantity="10").json()["data"]


def test_a_trader_sets_and_clears_the_bracket_of_an_open_trade(api, open_trade):
    r = api.patch(trade_url(open_trade["id"]), {"stop_loss": "95", "target_price": "110"},
                  format="json")  # fmt: skip
    assert r.status_code == 200, r.json()
    assert (r.json()["data"]["stop_loss"], r.json()["data"]["take_profit"]) == (
        "95.000000", "110.000000",
    )  # fmt: skip
    r = api.patch(trade_url(open_trade["id"]), {"stop_loss": None}, format="json")
    assert (r.json()["data"]["stop_loss"], r.json()["data"]["take_profit"]) == (
        None, "110.000000",
    )  # fmt: skip


def test_a_bracket_on_the_wrong_side_is_refused(api, open_trade):
    r = api.patch(trade_url(open_trade["id"]), {"stop_loss": "120", "take_profit": "110"},
                  format="json")  # fmt: skip
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_INPUT")
    assert Trade.objects.get(pk=open_trade["id"]).stop_loss is None


def test_a_pending_orders_limit_can_be_moved(api, pending):
    r = api.patch(trade_url(pending["id"]), {"limit_price": "97.5"}, format="json")
    assert r.json()["data"]["limit_price"] == "97.500000"


def test_a_filled_orders_limit_cannot_be_moved(api, open_trade):
    r = api.patch(trade_url(open_trade["id"]), {"limit_price": "97.5"}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "TRADE_NOT_PENDING")


def test_a_limit_cannot_be_added_to_a_stop_order(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    stop = place(api, symbol="AAPL", side="buy", quantity="1", order_type="stop",
                 stop_price="105").json()["data"]  # fmt: skip
    r = api.patch(trade_url(stop["id"]), {"limit_price": "106"}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_INPUT")


def test_a_moved_limit_that_crosses_fills_and_the_answer_shows_it(api, pending):
    response = api.patch(trade_url(pending["id"]), {"limit_price": "100.50"}, format="json")

    assert response.json()["data"]["status"] == "OPEN"
    trade = Trade.objects.get(pk=pending["id"])
    assert (trade.status, trade.entry_price) == ("OPEN", D("100.020000"))


def test_cancel_moves_a_pending_order_to_cancelled(api, pending):
    r = api.post(trade_url(pending["id"], "cancel"), {"notes": "changed my mind"}, format="json")
    assert (r.status_code, r.json()["data"]["status"]) == (200, "CANCELLED")
    assert r.json()["data"]["notes"] == "dip\nchanged my mind"


def test_delete_cancels_a_pending_order(api, pending):
    r = api.delete(trade_url(pending["id"]))
    assert r.status_code == 204
    assert Trade.objects.get(pk=pending["id"]).status == "CANCELLED"


def test_cancel_on_an_open_trade_closes_it_at_the_market_once(api, account, open_trade):
    """The web app's "Cancel" in its open-trades list: the position is closed exactly as
    close/ closes it, the P&L realised once, and the ledger still equals the balance."""
    quote("AAPL", "101.00", "101.02")
    r = api.post(trade_url(open_trade["id"], "cancel"), {}, format="json")
    assert (r.status_code, r.json()["msg"]) == (200, "Trade closed.")
    closed = r.json()["data"]
    # Sold at the bid less 2 bps: 101.00 × (1 − 0.0002) = 100.9798; bought at 100.02.
    assert (closed["status"], closed["exit_price"]) == ("CLOSED", "100.979800")
    # Gross 9.598 → 9.60 in the ledger; the trade's P&L is net of both $1.00 commissions.
    assert closed["realized_pl"] == "7.60"
    assert entries(account, "REALIZED_PNL") == [("REALIZED_PNL", D("9.60"))]
    assert balance(account) == ledger_sum(account) == D("100007.60")
    again = api.post(trade_url(open_trade["id"], "cancel"), {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "TRADE_NOT_PENDING")
    assert entries(account, "REALIZED_PNL") == [("REALIZED_PNL", D("9.60"))]


def test_delete_on_an_open_trade_says_to_close_it_first(api, open_trade):
    r = api.delete(trade_url(open_trade["id"]))
    assert (r.status_code, r.json()["code"]) == (409, "TRADE_OPEN")
    assert "close it first" in r.json()["msg"]
    assert Trade.objects.get(pk=open_trade["id"]).status == "OPEN"


def test_delete_on_a_closed_trade_hides_it_from_the_traders_lists_only(
    api, client_for, staff, account, open_trade
):
    api.post(trade_url(open_trade["id"], "close"))
    before = (balance(account), ledger_sum(account), entries(account))
    stats = api.get(f"/api/prop-firm/accounts/{account.pk}/statistics/").json()["data"]

    r = api.delete(trade_url(open_trade["id"]))
    assert r.status_code == 204
    assert api.delete(trade_url(open_trade["id"])).status_code == 204  # idempotent
    assert open_trade["id"] not in [t["id"] for t in api.get(TRADES).json()["data"]]
    assert api.get(TRADES, {"all": "true"}).json()["count"] == 0
    # The row, the money and the statistics are untouched; staff still see it.
    trade = Trade.objects.get(pk=open_trade["id"])
    assert (trade.status, trade.hidden_at is not None) == ("CLOSED", True)
    assert (balance(account), ledger_sum(account), entries(account)) == before
    assert api.get(f"/api/prop-firm/accounts/{account.pk}/statistics/").json()["data"] == stats
    staff_rows = client_for(staff).get("/api/prop-firm/admin/trades/").json()["results"]
    assert open_trade["id"] in [t["id"] for t in staff_rows]


def test_delete_on_a_cancelled_order_hides_it(api, pending):
    api.post(trade_url(pending["id"], "cancel"))
    assert api.delete(trade_url(pending["id"])).status_code == 204
    assert api.get(TRADES).json()["count"] == 0
    assert Trade.objects.get(pk=pending["id"]).status == "CANCELLED"


def test_cancelling_twice_is_a_conflict(api, pending):
    api.post(trade_url(pending["id"], "cancel"))
    r = api.post(trade_url(pending["id"], "cancel"))
    assert (r.status_code, r.json()["code"]) == (409, "TRADE_NOT_PENDING")


def test_a_closed_trade_cannot_be_changed(api, open_trade):
    api.post(trade_url(open_trade["id"], "close"))
    r = api.patch(trade_url(open_trade["id"]), {"stop_loss": "90"}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "TRADE_NOT_ACTIVE")


def test_bob_cannot_see_change_or_cancel_alices_trade(bob_api, pending):
    url = trade_url(pending["id"])
    assert bob_api.get(url).status_code == 404
    assert bob_api.patch(url, {"stop_loss": "90"}, format="json").status_code == 404
    assert bob_api.delete(url).status_code == 404
    assert bob_api.post(trade_url(pending["id"], "cancel")).status_code == 404
    assert Trade.objects.get(pk=pending["id"]).status == "PENDING"


def test_alice_reads_her_trade(api, pending):
    r = api.get(trade_url(pending["id"]))
    assert (r.status_code, r.json()["msg"], r.json()["data"]["id"]) == (
        200, "Trade retrieved.", pending["id"],
    )  # fmt: skip
    assert r.json()["data"]["current_price"] is None  # a pending order has no value yet
