"""The fill model: pure functions from a quote and an order to a fill price and a commission.

No ORM, no clock, no settings reads except in `FillConfig.from_settings`. Every formula the
platform uses to price a fill lives here, so a trader, an admin and a test can compute it by
hand:

- a buy fills at the ask, a sell at the bid, each moved against the trader by `slippage_bps`:
  ``buy = ask × (1 + bps/10000)``, ``sell = bid × (1 − bps/10000)``, rounded half-even to
  6 decimals (the price column's precision);
- a limit order never fills worse than its limit: ``buy = min(buy, limit)``,
  ``sell = max(sell, limit)``;
- commission per fill = ``max(quantity × per_share, minimum)``, half-even to cents; an order
  that fills against several trades (a reducing order) is one fill, charged once on its whole
  quantity Q and shared by quantity: with the running sum S_i of the pieces' quantities,
  ``share_i = cents(C × S_i / Q) − cents(C × S_(i−1) / Q)``, so the shares add up to C exactly;
- gross P&L of a close = ``(exit − entry) × quantity`` for a long, ``(entry − exit) × quantity``
  for a short, half-even to cents.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from alpacabackend.money import to_cents

BUY = "BUY"
SELL = "SELL"

LONG = "LONG"
SHORT = "SHORT"

MARKET = "MARKET"
LIMIT = "LIMIT"
STOP = "STOP"
STOP_LIMIT = "STOP_LIMIT"

STOP_LOSS = "STOP_LOSS"
TAKE_PROFIT = "TAKE_PROFIT"

PRICE_STEP = Decimal("0.000001")
_BPS = Decimal(10000)
_ZERO = Decimal(0)

DEFAULT_SLIPPAGE_BPS = Decimal("2")
DEFAULT_COMMISSION_PER_SHARE = Decimal("0.005")
DEFAULT_COMMISSION_MIN = Decimal("1")


def _decimal_setting(value) -> Decimal:
    # Settings may come from the environment as strings; str() keeps a float's shortest form.
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class FillConfig:
    slippage_bps: Decimal = DEFAULT_SLIPPAGE_BPS
    commission_per_share: Decimal = DEFAULT_COMMISSION_PER_SHARE
    commission_min: Decimal = DEFAULT_COMMISSION_MIN

    def __post_init__(self) -> None:
        for name in ("slippage_bps", "commission_per_share", "commission_min"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @classmethod
    def from_settings(cls) -> "FillConfig":
        from django.conf import settings

        return cls(
            slippage_bps=_decimal_setting(
                getattr(settings, "PAPER_SLIPPAGE_BPS", DEFAULT_SLIPPAGE_BPS)
            ),
            commission_per_share=_decimal_setting(
                getattr(settings, "PAPER_COMMISSION_PER_SHARE", DEFAULT_COMMISSION_PER_SHARE)
            ),
            commission_min=_decimal_setting(
                getattr(settings, "PAPER_COMMISSION_MIN", DEFAULT_COMMISSION_MIN)
            ),
        )


def to_price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_STEP, rounding=ROUND_HALF_EVEN)


def entry_side(direction: str) -> str:
    """Opening a long buys; opening a short sells."""
    return BUY if direction == LONG else SELL


def exit_side(direction: str) -> str:
    return SELL if direction == LONG else BUY


def _positive(value) -> Decimal | None:
    return value if value is not None and value > 0 else None


def touch_price(side: str, quote) -> Decimal | None:
    """The side of the book an order trades against: the ask for a buy, the bid for a sell."""
    return _positive(quote.ask if side == BUY else quote.bid)


def market_price(side: str, quote, config: FillConfig) -> Decimal | None:
    """A market fill: the touch moved against the trader by the slippage; None without a touch."""
    touch = touch_price(side, quote)
    if touch is None:
        return None
    slip = config.slippage_bps / _BPS
    return to_price(touch * (1 + slip) if side == BUY else touch * (1 - slip))


def limit_crossed(side: str, quote, limit: Decimal) -> bool:
    """A buy limit is marketable when ask ≤ limit; a sell limit when bid ≥ limit."""
    touch = touch_price(side, quote)
    if touch is None:
        return False
    return touch <= limit if side == BUY else touch >= limit


def stop_triggered(side: str, quote, stop: Decimal) -> bool:
    """A buy stop triggers when ask ≥ stop; a sell stop when bid ≤ stop."""
    touch = touch_price(side, quote)
    if touch is None:
        return False
    return touch >= stop if side == BUY else touch <= stop


def limit_price_fill(side: str, quote, limit: Decimal, config: FillConfig) -> Decimal | None:
    """The fill of a marketable limit: the market fill, never worse than the limit."""
    if not limit_crossed(side, quote, limit):
        return None
    price = market_price(side, quote, config)
    return min(price, limit) if side == BUY else max(price, limit)


@dataclass(frozen=True, slots=True)
class OrderFill:
    """What a quote does to a resting (or new) order: maybe triggers its stop, maybe fills it."""

    price: Decimal | None
    triggered: bool


def order_fill(
    *,
    order_type: str,
    side: str,
    quote,
    config: FillConfig,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    already_triggered: bool = False,
) -> OrderFill:
    """The fill price of an order against one quote (None: it rests).

    MARKET fills at the market price; LIMIT when the limit is crossed; STOP becomes a market
    order once triggered; STOP_LIMIT becomes a limit order once triggered (it may trigger and
    fill on the same quote). `triggered` is True when the stop is (or already was) triggered.
    """
    if order_type == MARKET:
        return OrderFill(market_price(side, quote, config), False)
    if order_type == LIMIT:
        return OrderFill(limit_price_fill(side, quote, limit_price, config), False)
    triggered = already_triggered or stop_triggered(side, quote, stop_price)
    if not triggered:
        return OrderFill(None, False)
    if order_type == STOP:
        return OrderFill(market_price(side, quote, config), True)
    return OrderFill(limit_price_fill(side, quote, limit_price, config), True)


@dataclass(frozen=True, slots=True)
class ExitFill:
    price: Decimal
    reason: str  # STOP_LOSS or TAKE_PROFIT


def bracket_exit(
    *,
    direction: str,
    quote,
    config: FillConfig,
    stop_loss: Decimal | None,
    take_profit: Decimal | None,
) -> ExitFill | None:
    """An open trade's bracket against one quote.

    The stop-loss is a stop order on the exit side (long: bid ≤ stop_loss, then a market
    sell); the take-profit a limit order on the exit side (long: bid ≥ take_profit, at the
    limit or better). Mirrored for shorts on the ask. The stop-loss wins if both trigger.
    """
    side = exit_side(direction)
    if stop_loss is not None and stop_triggered(side, quote, stop_loss):
        price = market_price(side, quote, config)
        if price is not None:
            return ExitFill(price, STOP_LOSS)
    if take_profit is not None:
        price = limit_price_fill(side, quote, take_profit, config)
        if price is not None:
            return ExitFill(price, TAKE_PROFIT)
    return None


def liquidation_price(direction: str, quote) -> Decimal | None:
    """Where a position is valued and force-closed: bid for a long, ask for a short, else last."""
    if quote is None:
        return None
    side = _positive(quote.bid if direction == LONG else quote.ask)
    return side if side is not None else _positive(quote.last)


def commission(quantity: Decimal, config: FillConfig) -> Decimal:
    """Per fill: max(quantity × per_share, minimum), half-even to cents."""
    return to_cents(max(quantity * config.commission_per_share, config.commission_min))


def gross_pl(*, direction: str, entry_price: Decimal, exit_price: Decimal, quantity: Decimal):
    """Exact P&L of a position at `exit_price`, before commissions (not rounded)."""
    move = exit_price - entry_price if direction == LONG else entry_price - exit_price
    return move * quantity


def realized_gross(
    *, direction: str, entry_price: Decimal, exit_price: Decimal, quantity: Decimal
) -> Decimal:
    """Gross P&L of a close as posted to the ledger: half-even to cents."""
    return to_cents(
        gross_pl(
            direction=direction, entry_price=entry_price, exit_price=exit_price, quantity=quantity
        )
    )


def allocate(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """The share of `amount` (cents) that `part` of `whole` carries, half-even to cents."""
    if part >= whole:
        return amount
    return to_cents(amount * part / whole) if whole > _ZERO else _ZERO


def commission_shares(total: Decimal, quantities: Sequence[Decimal]) -> list[Decimal]:
    """One fill's commission `total` shared by the pieces' `quantities`, in order: each share
    is the difference of the rounded running totals, so each is within a cent of its exact
    share and the shares sum to `total` exactly."""
    whole = sum(quantities, _ZERO)
    if whole <= _ZERO:
        return [_ZERO for _ in quantities]
    shares, running, allocated = [], _ZERO, _ZERO
    for quantity in quantities:
        running += quantity
        upto = total if running >= whole else to_cents(total * running / whole)
        shares.append(upto - allocated)
        allocated = upto
    return shares
