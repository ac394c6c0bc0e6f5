"""Writes of the Alpaca API: every order goes through paper trading's `order_place`,
`trade_update` and `trade_cancel`, the services the web app uses (the firm's rules, the fill
model, the ledger and the audit trail are theirs; nothing here moves money).

Alpaca nets positions per symbol, so every order is placed in the `side` format
(`PositionEffect.REDUCE`): a sell first closes open longs, oldest first, and only the rest
opens a short. Every order carries a client_order_id (the bot's, or a UUID we make), and
its id is derived from it (`shapes.order_uuid`), so a retry with the same client_order_id
returns the same order and an order that only closed keeps its id after its row is gone.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from rest_framework import serializers

from alpacabackend.api.errors import ApplicationError, InvalidInput, NotFound, StateConflict
from alpacabackend.api.fields import AsciiDecimalField
from alpacabackend.money import PRICE_DIGITS, to_quantity
from paper_trading.models import Direction, OrderType, PositionEffect, TimeInForce, TradeStatus
from paper_trading.selectors import asset_for_order
from paper_trading.services import trades as trade_services
from prop_firm.alpaca_api import selectors, shapes
from prop_firm.models import PropFirmAccount

_ORDER_TYPES = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
}
# ioc and fok: our fills are all or nothing, so both mean "fill now or cancel".
_TIME_IN_FORCE = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.DAY,
    "fok": TimeInForce.DAY,
}
_IMMEDIATE = {"ioc", "fok"}


def _invalid(message: str, field: str | None = None, code: str = "INVALID_ORDER"):
    errors = {field: [message]} if field else None
    return InvalidInput(message, code=code, errors=errors)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """Alpaca's order body, parsed and checked for what only this API knows (our own
    order checks run in `order_place`)."""

    symbol: str
    quantity: Decimal
    side: str
    order_type: str
    time_in_force: str
    limit_price: Decimal | None
    stop_price: Decimal | None
    take_profit: Decimal | None
    stop_loss: Decimal | None
    client_order_id: str | None

    @property
    def direction(self) -> str:
        return Direction.LONG if self.side == "buy" else Direction.SHORT


# The web app's order fields: the same precision (6 decimals, 20 digits) for prices and
# quantities, so nothing is rounded silently and nothing overflows a column.
_NUMBER = AsciiDecimalField(**PRICE_DIGITS)


def _decimal(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool | dict | list):
        raise _invalid(f"{field} must be a number", field)
    try:
        number = _NUMBER.to_internal_value(value)
    except serializers.ValidationError as error:
        raise _invalid(f"{field}: {error.detail[0]}", field) from None
    if not number.is_finite():
        raise _invalid(f"{field} must be a number", field)
    return number


def order_request_parse(body) -> OrderRequest:
    """Alpaca's POST /v2/orders body → OrderRequest, or a 422 naming the field."""
    if not isinstance(body, dict):
        raise _invalid("the order must be a JSON object")
    symbol = body.get("symbol") or ""
    symbol = symbol.strip() if isinstance(symbol, str) else ""
    if not symbol:
        raise _invalid("symbol is required", "symbol")
    if body.get("notional") not in (None, ""):
        raise _invalid("notional orders are not supported; send qty", "notional")
    quantity = _decimal(body.get("qty"), "qty")
    if quantity is None:
        raise _invalid("qty is required", "qty")
    side = str(body.get("side") or "").lower()
    if side not in ("buy", "sell"):
        raise _invalid("side must be buy or sell", "side")
    order_type = str(body.get("type") or body.get("order_type") or "").lower()
    if order_type not in _ORDER_TYPES:
        raise _invalid("type must be market, limit, stop or stop_limit", "type")
    time_in_force = str(body.get("time_in_force") or "").lower()
    if time_in_force not in _TIME_IN_FORCE:
        raise _invalid("time_in_force must be day, gtc, ioc or fok", "time_in_force")
    if body.get("extended_hours"):
        raise _invalid("extended_hours orders are not supported", "extended_hours")
    order_class = str(body.get("order_class") or "simple").lower()
    if order_class not in ("simple", "bracket", "oto"):
        raise _invalid("order_class must be simple, bracket or oto", "order_class")
    take_profit = stop_loss = None
    legs = {"take_profit": body.get("take_profit"), "stop_loss": body.get("stop_loss")}
    for name, leg in legs.items():
        if leg is not None and not isinstance(leg, dict):
            raise _invalid(f"{name} must be an object", name)
    if legs["take_profit"]:
        take_profit = _decimal(legs["take_profit"].get("limit_price"), "take_profit.limit_price")
    if legs["stop_loss"]:
        if legs["stop_loss"].get("limit_price") not in (None, ""):
            raise _invalid(
                "stop_loss.limit_price is not supported: the stop-loss exits at market",
                "stop_loss.limit_price",
            )
        stop_loss = _decimal(legs["stop_loss"].get("stop_price"), "stop_loss.stop_price")
    if order_class == "bracket" and (take_profit is None or stop_loss is None):
        raise _invalid("bracket orders need take_profit.limit_price and stop_loss.stop_price")
    if order_class == "oto" and (take_profit is None) == (stop_loss is None):
        raise _invalid("oto orders need exactly one of take_profit and stop_loss")
    if order_class == "simple" and (take_profit is not None or stop_loss is not None):
        raise _invalid("take_profit and stop_loss need order_class bracket or oto")
    client_order_id = body.get("client_order_id")
    if client_order_id is not None and not isinstance(client_order_id, str):
        raise _invalid("client_order_id must be a string", "client_order_id")
    if client_order_id is not None:
        client_order_id = client_order_id.strip() or None
    if client_order_id is not None and len(client_order_id) > 64:
        raise _invalid("client_order_id must be at most 64 characters", "client_order_id")
    return OrderRequest(
        symbol=symbol,
        quantity=quantity,
        side=side,
        order_type=_ORDER_TYPES[order_type],
        time_in_force=time_in_force,
        limit_price=_decimal(body.get("limit_price"), "limit_price"),
        stop_price=_decimal(body.get("stop_price"), "stop_price"),
        take_profit=take_profit,
        stop_loss=stop_loss,
        client_order_id=client_order_id,
    )


def order_submit(*, account: PropFirmAccount, request: OrderRequest, user=None) -> dict:
    """Places the order through `order_place` and answers it as Alpaca's Order. ioc/fok
    orders that do not fill at once are cancelled at once (through `trade_cancel`)."""
    asset = asset_for_order(symbol=request.symbol)
    client_order_id = request.client_order_id or str(uuid.uuid4())
    placed = trade_services.order_place(
        account=account,
        asset=asset,
        direction=request.direction,
        quantity=request.quantity,
        order_type=request.order_type,
        time_in_force=_TIME_IN_FORCE[request.time_in_force],
        limit_price=request.limit_price,
        stop_price=request.stop_price,
        stop_loss=request.stop_loss,
        take_profit=request.take_profit,
        client_order_id=client_order_id,
        position_effect=PositionEffect.REDUCE,
        user=user,
        order_uuid=shapes.order_uuid(account.pk, client_order_id),
    )
    resting = placed.opened
    if (
        request.time_in_force in _IMMEDIATE
        and resting is not None
        and resting.status == TradeStatus.PENDING
    ):
        trade_services.trade_cancel(
            trade=resting, notes=f"{request.time_in_force} order not filled at once", user=user
        )
    return selectors.order_by_client_order_id(account=account, client_order_id=client_order_id)


def _order_row(account: PropFirmAccount, order_id: str):
    row = selectors.order_row(account=account, order_id=order_id)
    if row is None:
        selectors.order_get(account=account, order_id=order_id)  # 404 when unknown
        raise StateConflict("order is already filled", code="ORDER_NOT_OPEN")
    return row


def order_replace(*, account: PropFirmAccount, order_id: str, changes: dict, user=None) -> dict:
    """PATCH /v2/orders/{id}: a resting order's limit_price and stop_price change in place
    (`trade_update`), so the order keeps its id. A different qty or time_in_force is refused:
    cancel and place a new order."""
    row = _order_row(account, order_id)
    if not isinstance(changes, dict):
        raise _invalid("the replacement must be a JSON object")
    if changes.get("trail") not in (None, ""):
        raise _invalid("trailing orders are not supported", "trail")
    quantity = _decimal(changes.get("qty"), "qty")
    if quantity is not None and quantity != row.quantity:
        raise _invalid("qty cannot be changed; cancel the order and place a new one", "qty")
    tif = changes.get("time_in_force")
    if tif not in (None, "") and _TIME_IN_FORCE.get(str(tif).lower()) != row.time_in_force:
        raise _invalid(
            "time_in_force cannot be changed; cancel the order and place a new one",
            "time_in_force",
        )
    update = {}
    for field in ("limit_price", "stop_price"):
        value = _decimal(changes.get(field), field)
        if value is not None:
            update[field] = value
    if not update:
        raise _invalid("send limit_price or stop_price to change")
    if row.status != TradeStatus.PENDING:
        raise StateConflict("order is not open and cannot be replaced", code="ORDER_NOT_OPEN")
    trade_services.trade_update(trade=row, changes=update, user=user)
    return selectors.order_get(account=account, order_id=order_id)


def order_cancel(*, account: PropFirmAccount, order_id: str, user=None) -> None:
    """DELETE /v2/orders/{id}: a resting order is cancelled; anything else is a 422."""
    row = _order_row(account, order_id)
    if row.status != TradeStatus.PENDING:
        raise StateConflict(
            f"order is {shapes.ORDER_STATUS[row.status]} and cannot be canceled",
            code="ORDER_NOT_CANCELABLE",
        )
    trade_services.trade_cancel(trade=row, notes="Cancelled through the Alpaca API", user=user)


def orders_cancel_all(*, account: PropFirmAccount, user=None) -> list[dict]:
    """DELETE /v2/orders: every resting order, one answer each (Alpaca's 207 body)."""
    answers = []
    for row in account.trades.filter(status=TradeStatus.PENDING, split_from__isnull=True):
        try:
            trade_services.trade_cancel(
                trade=row, notes="Cancelled through the Alpaca API", user=user
            )
        except ApplicationError as error:
            answers.append({"id": str(row.uuid), "status": 422, "body": {"message": error.message}})
            continue
        answers.append({"id": str(row.uuid), "status": 200, "body": None})
    return answers


def _close_quantity(position: dict, qty, percentage, fractionable: bool) -> Decimal:
    held = position["_quantity"]
    quantity = _decimal(qty, "qty")
    percent = _decimal(percentage, "percentage")
    if quantity is not None and percent is not None:
        raise _invalid("send qty or percentage, not both")
    if percent is not None:
        if not (0 < percent <= 100):
            raise _invalid("percentage must be above 0 and at most 100", "percentage")
        quantity = to_quantity(held * percent / 100)
        if not fractionable:
            quantity = quantity.to_integral_value(rounding="ROUND_DOWN")
        if quantity <= 0:
            raise _invalid("this percentage of the position is less than one share", "percentage")
    if quantity is None:
        return held
    if quantity <= 0:
        raise _invalid("qty must be greater than zero", "qty")
    if quantity > held:
        raise StateConflict(
            f"insufficient qty available for order (requested: {shapes.number(quantity)}, "
            f"available: {shapes.number(held)})",
            code="INSUFFICIENT_QTY",
        )
    return quantity


def position_close(
    *, account: PropFirmAccount, symbol_or_asset_id: str, qty=None, percentage=None, user=None
) -> dict:
    """DELETE /v2/positions/{symbol}: a market order against the position (all of it, `qty`
    or `percentage` of it), through `order_place` like any other order."""
    position = selectors.position_get(account=account, symbol_or_asset_id=symbol_or_asset_id)
    asset = asset_for_order(symbol=position["symbol"])
    quantity = _close_quantity(position, qty, percentage, asset.fractionable)
    closing = Direction.SHORT if position["_direction"] == Direction.LONG else Direction.LONG
    request = OrderRequest(
        symbol=asset.symbol,
        quantity=quantity,
        side="buy" if closing == Direction.LONG else "sell",
        order_type=OrderType.MARKET,
        time_in_force="day",
        limit_price=None,
        stop_price=None,
        take_profit=None,
        stop_loss=None,
        client_order_id=None,
    )
    return order_submit(account=account, request=request, user=user)


def positions_close_all(*, account: PropFirmAccount, cancel_orders: bool, user=None) -> list:
    """DELETE /v2/positions: one close order per position (Alpaca's 207 body); with
    cancel_orders, the resting orders are cancelled first."""
    if cancel_orders:
        orders_cancel_all(account=account, user=user)
    answers = []
    for position in selectors.position_list(account=account):
        symbol = position["symbol"]
        try:
            order = position_close(account=account, symbol_or_asset_id=symbol, user=user)
        except (ApplicationError, NotFound) as error:
            held = shapes.number(position["_quantity"])
            answers.append(
                {
                    "order_id": None,
                    "status": error.status_code,
                    "symbol": symbol,
                    "body": {
                        "code": error.status_code * 100_000 + 10_000,
                        "message": error.message,
                        "symbol": symbol,
                        "available": held,
                        "existing_qty": held,
                        "held_for_orders": "0",
                    },
                }
            )
            continue
        answers.append({"order_id": order["id"], "status": 200, "symbol": symbol, "body": order})
    return answers
