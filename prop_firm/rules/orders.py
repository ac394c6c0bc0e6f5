"""The pre-trade soft rules (RULES.md 5 to 7): may this order go ahead?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from prop_firm.rules.floors import (
    daily_loss_floor,
    max_loss_floor,
)
from prop_firm.rules.marking import (
    _mark,
    liquidation_price,
)
from prop_firm.rules.state import (
    _HUNDRED,
    _ZERO,
    ACCOUNT_NOT_TRADABLE,
    ACTIVE,
    BUYING_POWER,
    DIRECTIONS,
    POSITION_SIZE,
    AccountState,
    PlanRules,
    Quote,
    _pct,
    _require_number,
    _usd,
)


@dataclass(frozen=True, slots=True)
class Order:
    """An order to check. `price` is the server's estimate of the fill price.

    `reduces_position` is True for an order that closes or reduces an existing position:
    such an order lowers the risk, so neither size, leverage nor loss room rejects it.
    """

    symbol: str
    direction: str
    quantity: Decimal
    price: Decimal
    reduces_position: bool = False

    def __post_init__(self) -> None:
        _require_number("quantity", self.quantity)
        _require_number("price", self.price)
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be LONG or SHORT (got {self.direction!r})")
        if self.quantity <= 0 or self.price <= 0:
            raise ValueError("quantity and price must be positive")


@dataclass(frozen=True, slots=True)
class Rejection:
    code: str
    message: str


def check_order(
    plan: PlanRules, state: AccountState, quotes: Mapping[str, Quote], order: Order
) -> Rejection | None:
    """The soft rules of RULES.md (5 to 7) for one order; None when it may go ahead.

    E is marked at the liquidation prices (stale or not: freshness is the order service's
    NO_PRICE / MARKET_CLOSED concern). Checked in order:
    - ACCOUNT_NOT_TRADABLE: status not ACTIVE (every order), or E at or below a floor
      (orders that open or add; a reducing order is let through, it lowers the risk);
    - POSITION_SIZE: (quantity already held in that symbol and direction + the order's) ×
      the order's price ≤ max_position_size% × E;
    - BUYING_POWER: Σ |open positions| × their liquidation price + pending order notional +
      the order's notional ≤ max_leverage × E.
    """
    if state.status != ACTIVE:
        return Rejection(
            ACCOUNT_NOT_TRADABLE,
            f"This account is {state.status.lower() or 'not active'} and cannot place orders.",
        )
    u, _, _ = _mark(state.positions, quotes, None, None)
    equity = state.balance + u
    if order.reduces_position:
        return None

    f_d = daily_loss_floor(plan, sod_balance=state.sod_balance, sod_equity=state.sod_equity)
    f_t = max_loss_floor(plan, eod_hwm=state.eod_hwm, peak_equity=state.peak_equity)
    for floor, name in ((f_d, "daily loss floor"), (f_t, "maximum loss floor")):
        if equity <= floor:
            return Rejection(
                ACCOUNT_NOT_TRADABLE,
                f"Your equity of {_usd(equity)} is at or below your {name} of "
                f"{_usd(floor)}, so no new position can be opened; you can still close "
                "positions.",
            )

    held = sum(
        (
            p.quantity
            for p in state.positions
            if p.symbol == order.symbol and p.direction == order.direction
        ),
        _ZERO,
    )
    position_notional = (held + order.quantity) * order.price
    size_limit = plan.max_position_size * equity / _HUNDRED
    if position_notional * _HUNDRED > plan.max_position_size * equity:
        return Rejection(
            POSITION_SIZE,
            f"After this order your {order.symbol} position would be worth "
            f"{_usd(position_notional)}, above the {_pct(plan.max_position_size)} of your "
            f"equity ({_usd(size_limit)}) that one position may use.",
        )

    gross = sum(
        (
            p.quantity * (liquidation_price(p, quotes.get(p.symbol)) or p.entry_price)
            for p in state.positions
        ),
        _ZERO,
    )
    total = gross + state.pending_order_notional + order.quantity * order.price
    buying_power = plan.max_leverage * equity
    if total > buying_power:
        return Rejection(
            BUYING_POWER,
            f"This order would bring your open positions and pending orders to "
            f"{_usd(total)}, above your buying power of {_usd(buying_power)} "
            f"({plan.max_leverage}× your equity of {_usd(equity)}).",
        )
    return None
