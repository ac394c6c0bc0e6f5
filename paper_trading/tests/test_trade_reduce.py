"""POST /api/paper-trading/trades/ in the side format nets against the position: an order
opposite to the open trades of its symbol closes them first (oldest first), one commission
for the whole order, and only the rest opens a new trade."""

from decimal import Decimal

import pytest

from paper_trading.models import Trade
from paper_trading.services.trades import orders_match
from paper_trading.tests.factories import quote
from paper_trading.tests.helpers import (
    POSITIONS,
    TRADES,
    balance,
    entries,
    ledger_sum,
    place,
    trade_url,
)

D = Decimal


@pytest.fixture
def long_10(api, account, aapl):
    """10 AAPL bought at 100.02 (ask 100.00 + 2 bps), 1.00 commission: B = 99,999.00."""
    quote("AAPL", "99.98", "100.00")
    return place(api, symbol="AAPL", side="buy", quantity="10").json()["data"]


def positions(api):
    return [(p["symbol"], p["direction"], p["quantity"]) for p in api.get(POSITIONS).json()["data"]]


def test_selling_the_whole_long_closes_it_and_opens_no_short(api, account, long_10):
    quote("AAPL", "110.00", "110.02")
    r = place(api, symbol="AAPL", side="sell", quantity="10")
    assert r.status_code == 201, r.json()
    data = r.json()["data"]
    assert r.json()["msg"] == "Order filled: 10 AAPL long closed."
    assert (data["id"], data["status"], data["direction"]) == (long_10["id"], "CLOSED", "LONG")
    assert (data["closed_trade_ids"], data["opened_trade_id"]) == ([long_10["id"]], None)
    assert data["exit_price"] == "109.978000"  # 110.00 × 0.9998
    # gross (109.978 − 100.02) × 10 = 99.58; commission 1.00 entry + 1.00 for the sell
    assert (data["commission"], data["realized_pl"]) == ("2.00", "97.58")
    assert entries(account) == [
        ("COMMISSION", D("-1.00")), ("REALIZED_PNL", D("99.58")), ("COMMISSION", D("-1.00")),
    ]  # fmt: skip
    assert not Trade.objects.filter(direction="SHORT").exists()
    assert Trade.objects.count() == 1
    assert balance(account) == D("100097.58") == ledger_sum(account)
    assert positions(api) == []


def test_selling_part_of_the_long_splits_it_and_the_position_shrinks(api, account, long_10):
    quote("AAPL", "110.00", "110.02")
    data = place(api, symbol="AAPL", side="sell", quantity="4").json()["data"]
    assert (data["status"], data["quantity"], data["split_from"]) == (
        "CLOSED", "4.000000", long_10["id"],
    )  # fmt: skip
    assert data["closed_trade_ids"] == [data["id"]]
    # gross (109.978 − 100.02) × 4 = 39.832 → 39.83; entry share 0.40 + exit 1.00
    assert (data["commission"], data["realized_pl"]) == ("1.40", "38.43")
    rest = Trade.objects.get(pk=long_10["id"])
    assert (rest.status, rest.quantity, rest.commission) == ("OPEN", D("6"), D("0.60"))
    assert positions(api) == [("AAPL", "LONG", "6.000000")]
    listed = api.get(TRADES, {"status": "closed"}).json()["data"]
    assert [t["id"] for t in listed] == [data["id"]]
    assert balance(account) == D("100037.83") == ledger_sum(account)  # 99,999 + 39.83 − 1.00


def test_selling_more_than_the_long_closes_it_and_shorts_the_rest(api, account, long_10):
    quote("AAPL", "110.00", "110.02")
    r = place(api, symbol="AAPL", side="sell", quantity="15")
    body = r.json()
    assert body["msg"] == "Order filled: 10 AAPL long closed. 5 short opened."
    data = body["data"]
    short = Trade.objects.get(direction="SHORT")
    assert (data["id"], data["closed_trade_ids"], data["opened_trade_id"]) == (
        long_10["id"], [long_10["id"]], short.pk,
    )  # fmt: skip
    # One commission for the order: max(15 × 0.005, 1.00) = 1.00, shared by quantity:
    # the long's 10 of 15 → cents(1.00 × 10/15) = 0.67, the short's 5 the other 0.33.
    assert (data["commission"], data["realized_pl"]) == ("1.67", "97.91")  # 99.58 − 1.67
    assert (short.status, short.quantity, short.entry_price, short.commission) == (
        "OPEN", D("5"), D("109.978"), D("0.33"),
    )  # fmt: skip
    assert short.position_effect == "REDUCE"
    assert entries(account) == [
        ("COMMISSION", D("-1.00")), ("REALIZED_PNL", D("99.58")), ("COMMISSION", D("-0.67")),
        ("COMMISSION", D("-0.33")),
    ]  # fmt: skip
    assert positions(api) == [("AAPL", "SHORT", "5.000000")]
    assert balance(account) == D("100097.58") == ledger_sum(account)


def test_buying_against_a_short_covers_it(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    short = place(api, symbol="AAPL", side="sell", quantity="10").json()["data"]
    quote("AAPL", "94.98", "95.00")
    data = place(api, symbol="AAPL", side="buy", quantity="10").json()["data"]
    assert (data["id"], data["status"], data["exit_price"]) == (short["id"], "CLOSED", "95.019000")
    assert data["realized_pl"] == "47.41"  # (99.960004 − 95.019) × 10 = 49.41; − 2.00
    assert balance(account) == D("100047.41") == ledger_sum(account)


def test_a_long_in_a_non_shortable_asset_can_be_sold(api, account, btc):
    quote("BTC/USD", "60000.00", "60010.00")
    bought = place(api, symbol="BTC/USD", side="buy", quantity="0.5").json()["data"]
    r = place(api, symbol="BTC/USD", side="sell", quantity="0.5")
    assert r.status_code == 201, r.json()
    data = r.json()["data"]
    assert (data["id"], data["status"]) == (bought["id"], "CLOSED")
    # (60000 × 0.9998 − 60010 × 1.0002) × 0.5 = −17.001 → −17.00; − 2.00 commission
    assert data["realized_pl"] == "-19.00"
    assert balance(account) == D("99981.00") == ledger_sum(account)


def test_selling_more_than_a_non_shortable_long_is_refused_and_writes_nothing(api, account, btc):
    quote("BTC/USD", "60000.00", "60010.00")
    bought = place(api, symbol="BTC/USD", side="buy", quantity="0.5")
    before = entries(account)
    r = place(api, symbol="BTC/USD", side="sell", quantity="0.8")
    assert (r.status_code, r.json()["code"]) == (400, "SHORT_NOT_ALLOWED")
    assert entries(account) == before
    assert Trade.objects.count() == 1
    held = Trade.objects.get(pk=bought.json()["data"]["id"])
    assert (held.status, held.quantity) == ("OPEN", D("0.5"))


def test_the_oldest_long_is_closed_first_and_the_last_one_partly(api, account, aapl):
    quote("AAPL", "99.98", "100.00")
    first = place(api, symbol="AAPL", side="buy", quantity="6").json()["data"]  # @ 100.02
    quote("AAPL", "101.98", "102.00")
    second = place(api, symbol="AAPL", side="buy", quantity="4").json()["data"]  # @ 102.0204
    quote("AAPL", "110.00", "110.02")
    data = place(api, symbol="AAPL", side="sell", quantity="8").json()["data"]

    piece = Trade.objects.get(split_from=second["id"])
    assert data["closed_trade_ids"] == [first["id"], piece.pk]
    assert data["id"] == piece.pk  # the answer is the last trade closed
    # Commission of the order: max(8 × 0.005, 1.00) = 1.00 → 6/8: 0.75, 2/8: 0.25.
    # first: (109.978 − 100.02) × 6 = 59.748 → 59.75; 59.75 − (1.00 + 0.75) = 58.00
    closed_first = Trade.objects.get(pk=first["id"])
    assert (closed_first.status, closed_first.realized_pl) == ("CLOSED", D("58.00"))
    # piece: (109.978 − 102.0204) × 2 = 15.9152 → 15.92; entry share 0.50 + 0.25 = 0.75
    assert (piece.quantity, piece.commission, piece.realized_pl) == (D("2"), D("0.75"), D("15.17"))
    rest = Trade.objects.get(pk=second["id"])
    assert (rest.status, rest.quantity, rest.commission) == ("OPEN", D("2"), D("0.50"))
    assert positions(api) == [("AAPL", "LONG", "2.000000")]
    assert balance(account) == D("100072.67") == ledger_sum(account)  # 100,000 + 58 + 15.17 − 0.50


def test_one_commission_is_shared_by_quantity_and_sums_to_the_cent(api, account, aapl):
    quote("AAPL", "9.98", "10.00")
    place(api, symbol="AAPL", side="buy", quantity="333")  # commission 1.665 → 1.66
    place(api, symbol="AAPL", side="buy", quantity="667")  # commission 3.335 → 3.34
    place(api, symbol="AAPL", side="sell", quantity="1000")
    # max(1000 × 0.005, 1.00) = 5.00: cents(5.00 × 333/1000) = cents(1.665) = 1.66, then 3.34
    exits = [amount for kind, amount in entries(account, "COMMISSION")][2:]
    assert exits == [D("-1.66"), D("-3.34")]
    assert sum(exits) == D("-5.00")
    assert balance(account) == ledger_sum(account)


def test_a_resting_sell_limit_closes_the_long_when_the_bid_reaches_it(api, account, long_10):
    r = place(api, symbol="AAPL", side="sell", quantity="10", order_type="limit",
              limit_price="105")  # fmt: skip
    order = r.json()["data"]
    assert (r.json()["msg"], order["status"], order["position_effect"]) == (
        "Order placed.", "PENDING", "REDUCE",
    )  # fmt: skip
    assert (order["closed_trade_ids"], order["opened_trade_id"]) == ([], order["id"])

    quote("AAPL", "104.90", "104.92")
    assert orders_match(symbols=["AAPL"]) == 0
    quote("AAPL", "105.10", "105.12")
    assert orders_match(symbols=["AAPL"]) == 1

    closed = Trade.objects.get(pk=long_10["id"])
    assert closed.status == "CLOSED"
    assert closed.exit_price == D("105.078980")  # 105.10 × 0.9998, above the 105 limit
    assert closed.realized_pl == D("48.59")  # (105.07898 − 100.02) × 10 = 50.59; − 2.00
    # The order only closed: its fill is on the long, the order row is gone, no short.
    assert not Trade.objects.filter(pk=order["id"]).exists()
    assert Trade.objects.count() == 1
    assert balance(account) == D("100048.59") == ledger_sum(account)


def test_a_resting_sell_stop_works_as_a_stop_loss_on_the_long(api, account, long_10):
    place(api, symbol="AAPL", side="sell", quantity="10", order_type="stop", stop_price="95")
    quote("AAPL", "94.90", "94.92")
    assert orders_match(symbols=["AAPL"]) == 1
    closed = Trade.objects.get(pk=long_10["id"])
    assert (closed.status, closed.exit_price) == ("CLOSED", D("94.881020"))
    assert not Trade.objects.filter(direction="SHORT").exists()


def test_a_resting_sell_opens_a_short_when_the_long_is_gone_by_its_fill(api, account, long_10):
    order = place(api, symbol="AAPL", side="sell", quantity="10", order_type="limit",
                  limit_price="105").json()["data"]  # fmt: skip
    api.post(trade_url(long_10["id"], "close"))
    quote("AAPL", "105.10", "105.12")
    assert orders_match(symbols=["AAPL"]) == 1
    short = Trade.objects.get(pk=order["id"])
    assert (short.status, short.direction, short.quantity) == ("OPEN", "SHORT", D("10"))
    assert balance(account) == ledger_sum(account)


def test_a_resting_sell_whose_short_rest_is_refused_at_fill_changes_nothing(api, account, long_10):
    order = place(api, symbol="AAPL", side="sell", quantity="900", order_type="limit",
                  limit_price="101").json()["data"]  # fmt: skip
    assert order["status"] == "PENDING"  # 890 × 101 = 89,890 fits the buying power now
    before = entries(account)
    quote("AAPL", "120.00", "120.02")  # a gap: the short of 890 @ 119.976 no longer fits
    assert orders_match(symbols=["AAPL"]) == 0

    rejected = Trade.objects.get(pk=order["id"])
    assert (rejected.status, rejected.quantity) == ("REJECTED", D("900"))
    assert "position would be worth" in rejected.rejection_reason  # POSITION_SIZE
    held = Trade.objects.get(pk=long_10["id"])
    assert (held.status, held.quantity) == ("OPEN", D("10"))  # the close was undone
    assert entries(account) == before
    assert balance(account) == D("99999.00") == ledger_sum(account)


def test_the_direction_format_still_opens_a_short_beside_the_long(api, account, long_10):
    r = place(api, asset="AAPL", direction="SHORT", quantity="10")
    data = r.json()["data"]
    assert (r.json()["msg"], data["status"], data["direction"]) == (
        "Order filled.", "OPEN", "SHORT",
    )  # fmt: skip
    assert (data["position_effect"], data["closed_trade_ids"]) == ("OPEN", [])
    assert Trade.objects.get(pk=long_10["id"]).status == "OPEN"
    assert positions(api) == [("AAPL", "LONG", "10.000000"), ("AAPL", "SHORT", "10.000000")]


@pytest.fixture
def at_the_floor(api, account, aapl, settings):
    """No slippage or commission, 500 AAPL long from 100.00, marked at 80.00: equity
    100,000 − 10,000 = 90,000, exactly the maximum loss floor (100,000 − 10,000)."""
    settings.PAPER_SLIPPAGE_BPS = D("0")
    settings.PAPER_COMMISSION_MIN = D("0")
    settings.PAPER_COMMISSION_PER_SHARE = D("0")
    quote("AAPL", "99.98", "100.00")
    held = place(api, symbol="AAPL", side="buy", quantity="500").json()["data"]
    quote("AAPL", "80.00", "80.02")
    return held


def test_at_the_loss_floor_a_sell_that_reduces_the_long_is_allowed(api, account, at_the_floor):
    refused = place(api, symbol="AAPL", side="buy", quantity="1")
    assert refused.json()["code"] == "ACCOUNT_NOT_TRADABLE"
    r = place(api, symbol="AAPL", side="sell", quantity="500")
    assert r.status_code == 201, r.json()
    assert r.json()["data"]["realized_pl"] == "-10000.00"
    assert balance(account) == D("90000.00") == ledger_sum(account)


def test_at_the_loss_floor_a_sell_that_would_also_open_a_short_is_refused(
    api, account, at_the_floor
):
    r = place(api, symbol="AAPL", side="sell", quantity="600")
    assert r.json()["code"] == "ACCOUNT_NOT_TRADABLE"
    assert Trade.objects.get(pk=at_the_floor["id"]).status == "OPEN"
    assert Trade.objects.count() == 1
    assert balance(account) == D("100000.00") == ledger_sum(account)


def test_a_retried_reducing_order_closes_once(api, account, long_10):
    quote("AAPL", "110.00", "110.02")
    first = place(api, symbol="AAPL", side="sell", quantity="4", client_order_id="r-1")
    quote("AAPL", "120.00", "120.02")  # the price moved: the retry must not close again
    again = place(api, symbol="AAPL", side="sell", quantity="4", client_order_id="r-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["data"] == first.json()["data"]
    assert Trade.objects.get(pk=long_10["id"]).quantity == D("6")
    assert len(entries(account, "REALIZED_PNL")) == 1


def test_a_retried_full_close_by_idempotency_key_returns_the_closed_trade(api, account, long_10):
    order = {"symbol": "AAPL", "side": "sell", "quantity": "15"}
    first = api.post(TRADES, order, format="json", HTTP_IDEMPOTENCY_KEY="sell-1")
    again = api.post(TRADES, order, format="json", HTTP_IDEMPOTENCY_KEY="sell-1")
    assert again.json()["data"]["id"] == first.json()["data"]["id"] == long_10["id"]
    assert again.json()["data"]["closed_trade_ids"] == [long_10["id"]]
    assert again.json()["data"]["opened_trade_id"] == first.json()["data"]["opened_trade_id"]
    assert Trade.objects.filter(direction="SHORT").count() == 1
    assert len(entries(account, "REALIZED_PNL")) == 1


def test_a_reducing_orders_key_reused_for_another_order_is_a_conflict(api, account, long_10):
    place(api, symbol="AAPL", side="sell", quantity="10", client_order_id="r-1")
    r = place(api, symbol="AAPL", side="buy", quantity="10", client_order_id="r-1")
    assert (r.status_code, r.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    assert Trade.objects.count() == 1


def test_a_retried_resting_sell_after_its_fill_returns_the_closed_long(api, account, long_10):
    order = {"symbol": "AAPL", "side": "sell", "quantity": "10", "order_type": "limit",
             "limit_price": "105", "client_order_id": "tp-1"}  # fmt: skip
    place(api, **order)
    quote("AAPL", "105.10", "105.12")
    orders_match(symbols=["AAPL"])
    again = place(api, **order)
    assert again.status_code == 201
    assert again.json()["data"]["id"] == long_10["id"]
    assert Trade.objects.count() == 1


def test_bob_selling_does_not_touch_alices_long(bob_api, bob_account, account, long_10):
    r = place(bob_api, symbol="AAPL", side="sell", quantity="10")
    assert r.json()["data"]["direction"] == "SHORT"
    assert r.json()["data"]["account"] == bob_account.pk
    assert Trade.objects.get(pk=long_10["id"]).status == "OPEN"


def test_a_resting_take_profit_sell_does_not_use_buying_power(api, account, aapl):
    """Long 900 (90,018 of 100,000 buying power) with a resting sell of the 900 at 110: the
    sell only reduces, so a new buy of 50 still fits."""
    quote("AAPL", "99.98", "100.00")
    assert place(api, symbol="AAPL", side="buy", quantity="900").status_code == 201
    take_profit = place(api, symbol="AAPL", side="sell", quantity="900", order_type="limit",
                        limit_price="110")  # fmt: skip
    assert take_profit.json()["data"]["status"] == "PENDING"

    r = place(api, symbol="AAPL", side="buy", quantity="50")

    assert r.status_code == 201, r.json()
    assert positions(api) == [("AAPL", "LONG", "950.000000")]
