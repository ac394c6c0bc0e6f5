"""The checks of an order's input (no writes): quantity, prices, bracket, asset, a fresh quote."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from alpacabackend.api.errors import InvalidInput
from alpacabackend.money import to_quantity
from core.quotes import quotes_get
from paper_trading.models import (
    Direction,
    OrderType,
)

_LIMIT_TYPES = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_STOP_TYPES = (OrderType.STOP, OrderType.STOP_LIMIT)


# --------------------------------------------------------------------------------------
# Checks (no writes)
# --------------------------------------------------------------------------------------


def _invalid(field: str, message: str, code: str = "INVALID_INPUT") -> InvalidInput:
    return InvalidInput(f"{field}: {message}", code=code, errors={field: [message]})


def _check_quantity(asset, quantity: Decimal, field: str = "quantity") -> None:
    if not quantity.is_finite() or quantity <= 0:
        raise _invalid(field, "Must be greater than zero.", "INVALID_QUANTITY")
    if to_quantity(quantity) != quantity:
        raise _invalid(field, "Use at most 6 decimal places.", "INVALID_QUANTITY")
    if not asset.fractionable and quantity != quantity.to_integral_value():
        raise _invalid(
            field,
            f"{asset.symbol} cannot be traded in fractions; send a whole number.",
            "FRACTIONAL_NOT_ALLOWED",
        )


def _check_price(field: str, value: Decimal | None) -> None:
    if value is not None and (not value.is_finite() or value <= 0):
        raise _invalid(field, "Must be greater than zero.", "INVALID_PRICE")


def _check_bracket(direction: str, stop_loss: Decimal | None, take_profit: Decimal | None):
    _check_price("stop_loss", stop_loss)
    _check_price("take_profit", take_profit)
    if stop_loss is None or take_profit is None:
        return
    if direction == Direction.LONG and stop_loss >= take_profit:
        raise _invalid("stop_loss", "A long's stop-loss must be below its take-profit.")
    if direction == Direction.SHORT and stop_loss <= take_profit:
        raise _invalid("stop_loss", "A short's stop-loss must be above its take-profit.")


def _check_order_prices(order_type: str, limit_price, stop_price) -> None:
    if order_type in _LIMIT_TYPES and limit_price is None:
        raise _invalid("limit_price", f"Required for {order_type.lower()} orders.")
    if order_type in _STOP_TYPES and stop_price is None:
        raise _invalid("stop_price", f"Required for {order_type.lower()} orders.")
    if order_type not in _LIMIT_TYPES and limit_price is not None:
        raise _invalid("limit_price", f"Not used by {order_type.lower()} orders.")
    if order_type not in _STOP_TYPES and stop_price is not None:
        raise _invalid("stop_price", f"Not used by {order_type.lower()} orders.")
    _check_price("limit_price", limit_price)
    _check_price("stop_price", stop_price)


def _check_asset(asset, direction: str) -> None:
    if not asset.is_tradable:
        raise InvalidInput(f"{asset.symbol} is not tradable.", code="ASSET_NOT_TRADABLE")
    if direction == Direction.SHORT and not asset.shortable:
        raise _invalid("direction", f"{asset.symbol} cannot be sold short.", "SHORT_NOT_ALLOWED")


def _market_closed(asset) -> InvalidInput:
    return InvalidInput(
        f"The market for {asset.symbol} is closed; market orders are accepted while it is "
        "open (limit and stop orders may be placed now).",
        code="MARKET_CLOSED",
    )


def _no_price(asset) -> InvalidInput:
    return InvalidInput(
        f"There is no fresh price for {asset.symbol} right now; please try again shortly.",
        code="NO_PRICE",
    )


def _fresh_quote(asset, now: datetime):
    quote = quotes_get([asset.symbol]).get(asset.symbol)
    return quote if quote is not None and quote.is_fresh(now) else None
