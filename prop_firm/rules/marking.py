"""Marking positions: the liquidation price of each side and the unrealized P/L (U) it gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from paper_trading.positions import PositionState
from prop_firm.rules.state import (
    _ZERO,
    LONG,
    Quote,
)


class NoPrice(LookupError):
    """A position has no usable quote (no bid/ask for its side and no last)."""

    def __init__(self, symbol: str) -> None:
        super().__init__(f"No price for {symbol}.")
        self.symbol = symbol


def liquidation_price(position: PositionState, quote: Quote | None) -> Decimal | None:
    """The price a position would close at: bid for a long, ask for a short, else last."""
    if quote is None:
        return None
    side = quote.bid if position.direction == LONG else quote.ask
    if side is not None and side > 0:
        return side
    if quote.last is not None and quote.last > 0:
        return quote.last
    return None


def position_pl(position: PositionState, price: Decimal) -> Decimal:
    if position.direction == LONG:
        return (price - position.entry_price) * position.quantity
    return (position.entry_price - price) * position.quantity


def unrealized_pl(positions: Iterable[PositionState], quotes: Mapping[str, Quote]) -> Decimal:
    """U: the positions marked at their liquidation prices. Raises `NoPrice`."""
    total = _ZERO
    for position in positions:
        price = liquidation_price(position, quotes.get(position.symbol))
        if price is None:
            raise NoPrice(position.symbol)
        total += position_pl(position, price)
    return total


def _mark(
    positions: tuple[PositionState, ...],
    quotes: Mapping[str, Quote],
    now: datetime | None,
    max_age: timedelta | None,
) -> tuple[Decimal, dict[str, Decimal], tuple[str, ...]]:
    """U, the prices used, and the symbols whose price is stale or missing.

    A position without any usable price is marked at its entry price (it adds nothing to U)
    and counts as stale, so it can be shown but never fails the account.
    """
    total = _ZERO
    prices: dict[str, Decimal] = {}
    stale: list[str] = []
    for position in positions:
        quote = quotes.get(position.symbol)
        price = liquidation_price(position, quote)
        if price is None:
            price = position.entry_price
            if position.symbol not in stale:
                stale.append(position.symbol)
        elif (
            max_age is not None and now - quote.timestamp > max_age and position.symbol not in stale
        ):
            stale.append(position.symbol)
        # A long and a short of one symbol are marked at different sides; the prices shown
        # are those of the first position of each symbol.
        prices.setdefault(position.symbol, price)
        total += position_pl(position, price)
    return total, prices, tuple(stale)
