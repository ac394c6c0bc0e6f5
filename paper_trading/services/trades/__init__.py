"""Trades: place, fill, close, cancel, update, match, expire and liquidate.

Invariants every function here keeps:
- an account's balance changes only through `ledger_post`, in the same transaction as the
  trade change that explains it, with the account row locked (`select_for_update`);
- every state change of a trade happens under that same account lock (and the trade row's
  own lock), so concurrent requests on one account serialise: no double fill, no double close;
- prices come only from `core.quotes` through the fill model (`services/fills.py`); a price
  sent by the client is never read here.

The firm's rules plug in at exactly two places: `check_order` before every opening fill
(and when a pending order is placed), `after_fill` after every fill or close.

Position effect. An order in the `direction` format always opens a new trade (OPEN). An order in
the `side` format (REDUCE) nets against the account's position: when it fills, it first closes
the open trades of that symbol in the opposite direction, oldest first (FIFO; the last one
partially, split as `trade_close` splits), at this order's fill price; only the rest, if any,
opens a new trade in the order's direction. Such an order is one fill: one commission on its
whole quantity, shared by the pieces by quantity (`fills.commission_shares`). The reducing part
is checked with `reduces_position=True`, the rest as any opening order, after the closes are
written (on the account as the closes leave it); if the rest is refused the whole order is
refused and nothing is written. A resting REDUCE order is resolved when it fills, against the
position as it is then: when nothing is left to open, the order row is deleted (its fill is on
the trades it closed, which carry the order's client_order_id / Idempotency-Key in
`closing_*`); when a rest opens, the order row becomes that trade, holding the rest.
"""

from __future__ import annotations

from paper_trading.services.trades.closes import (
    trade_cancel,
    trade_cancel_or_close,
    trade_close,
    trade_remove,
    trade_update,
)
from paper_trading.services.trades.liquidation import (
    account_liquidate,
)
from paper_trading.services.trades.matching import (
    on_quotes,
    orders_expire,
    orders_match,
)
from paper_trading.services.trades.orders import (
    OrderResult,
    order_place,
    trade_place,
)

__all__ = [
    "OrderResult",
    "account_liquidate",
    "on_quotes",
    "order_place",
    "orders_expire",
    "orders_match",
    "trade_cancel",
    "trade_cancel_or_close",
    "trade_close",
    "trade_place",
    "trade_remove",
    "trade_update",
]
