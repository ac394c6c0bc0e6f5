"""Our objects in the shapes of alpaca-py's pydantic models (`alpaca/trading/models.py`).

Plain functions from domain objects to dicts: ids are UUIDs, numbers of the trading models
are strings (alpaca-py parses them), enums take Alpaca's exact values. Every answer of the
Alpaca API is built here, so the contract with the SDK lives in one module.
"""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from alpacabackend.money import to_cents
from paper_trading.models import Direction, Trade, TradeStatus

# Fixed namespace of the firm's derived ids (uuid5): stable across processes and restarts.
NAMESPACE = uuid.UUID("6f1d3e0a-5b7c-4f8e-9a2d-1c3b5e7f9a0b")

ORDER_STATUS = {
    TradeStatus.PENDING: "new",
    TradeStatus.OPEN: "filled",
    TradeStatus.CLOSED: "filled",
    TradeStatus.CANCELLED: "canceled",
    TradeStatus.EXPIRED: "expired",
    TradeStatus.REJECTED: "rejected",
}
OPEN_ORDER_STATUSES = {"new", "accepted", "held", "partially_filled", "pending_new"}
ACCOUNT_STATUS = {
    "ACTIVE": "ACTIVE",
    "PENDING": "APPROVAL_PENDING",
    "PASSED": "INACTIVE",
    "FAILED": "DISABLED",
    "CLOSED": "ACCOUNT_CLOSED",
}
NEW_YORK = ZoneInfo("America/New_York")
EXCHANGES = {"AMEX", "ARCA", "BATS", "NYSE", "NASDAQ", "NYSEARCA", "OTC", "CRYPTO"}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def number(value: Decimal | None) -> str | None:
    """A price or quantity as Alpaca writes it: plain digits, no exponent, no trailing zeros."""
    if value is None:
        return None
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(to_cents(value))


def side_of(direction: str) -> str:
    return "buy" if direction == Direction.LONG else "sell"


def opposite_side(direction: str) -> str:
    return "sell" if direction == Direction.LONG else "buy"


def account_uuid(account) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"account:{account.pk}")


def asset_uuid(asset) -> uuid.UUID:
    """Alpaca's own id when the asset came from Alpaca, else one derived from the symbol."""
    try:
        return uuid.UUID(asset.provider_id)
    except (TypeError, ValueError):
        return uuid.uuid5(NAMESPACE, f"asset:{asset.asset_class}:{asset.symbol}")


def order_uuid(account_id: int, client_order_id: str) -> uuid.UUID:
    """The id of an order placed through this API: derived from its client_order_id, so an
    order that only closed positions (its row is deleted once filled) keeps its id."""
    return uuid.uuid5(NAMESPACE, f"order:{account_id}:{client_order_id}")


def exchange_of(asset) -> str:
    exchange = (asset.exchange or "").upper()
    return exchange if exchange in EXCHANGES else ""


def asset_shape(asset) -> dict:
    return {
        "id": str(asset_uuid(asset)),
        "class": asset.asset_class,
        "exchange": exchange_of(asset),
        "symbol": asset.symbol,
        "name": asset.name,
        "status": "active" if asset.status == "active" else "inactive",
        "tradable": asset.is_tradable,
        "marginable": asset.marginable,
        "shortable": asset.shortable,
        "easy_to_borrow": asset.easy_to_borrow,
        "fractionable": asset.fractionable,
        "min_order_size": None,
        "min_trade_increment": None,
        "price_increment": None,
        "maintenance_margin_requirement": None,
        "attributes": [],
    }


def _order_base(*, asset, created_at, updated_at) -> dict:
    return {
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "submitted_at": iso(created_at),
        "filled_at": None,
        "expired_at": None,
        "expires_at": None,
        "canceled_at": None,
        "failed_at": None,
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": str(asset_uuid(asset)),
        "symbol": asset.symbol,
        "asset_class": asset.asset_class,
        "notional": None,
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "position_intent": None,
    }


def _status_times(shape: dict, trade: Trade, status: str) -> None:
    changed = iso(trade.updated_at)
    shape["canceled_at"] = changed if status == "canceled" else None
    shape["expired_at"] = changed if status == "expired" else None
    shape["failed_at"] = changed if status == "rejected" else None


def _legs(trade: Trade, parent_status: str) -> list[dict] | None:
    """A bracket's exits as Alpaca's child orders: held while the entry rests, new while the
    position is open, then the one that closed it filled and the other canceled."""
    legs = []
    for kind, price in (("take_profit", trade.take_profit), ("stop_loss", trade.stop_loss)):
        if price is None:
            continue
        reason = "TAKE_PROFIT" if kind == "take_profit" else "STOP_LOSS"
        if parent_status == "new":
            status = "held"
        elif trade.status == TradeStatus.OPEN:
            status = "new"
        elif trade.status == TradeStatus.CLOSED and trade.close_reason == reason:
            status = "filled"
        else:
            status = "canceled"
        leg = _order_base(
            asset=trade.asset, created_at=trade.created_at, updated_at=trade.updated_at
        )
        filled = status == "filled"
        leg.update(
            id=str(uuid.uuid5(NAMESPACE, f"leg:{trade.uuid}:{kind}")),
            client_order_id=str(uuid.uuid5(NAMESPACE, f"leg-client:{trade.uuid}:{kind}")),
            order_class="bracket",
            order_type="limit" if kind == "take_profit" else "stop",
            type="limit" if kind == "take_profit" else "stop",
            side=opposite_side(trade.direction),
            time_in_force="gtc",
            qty=number(trade.quantity),
            filled_qty=number(trade.quantity) if filled else "0",
            filled_avg_price=number(trade.exit_price) if filled else None,
            filled_at=iso(trade.exit_at) if filled else None,
            limit_price=number(price) if kind == "take_profit" else None,
            stop_price=number(price) if kind == "stop_loss" else None,
            status=status,
        )
        if status == "canceled":
            leg["canceled_at"] = iso(trade.exit_at or trade.updated_at)
        legs.append(leg)
    return legs or None


def order_shape(trade: Trade, *, closes=(), split_quantity: Decimal = Decimal(0)) -> dict:
    """The order a trade row is (the row of an order, not a piece split off by a close).
    `closes` are the trades this order closed (a reducing order), `split_quantity` what
    later closes split off this trade: both were part of the order's quantity."""
    closed = sum((t.quantity for t in closes), Decimal(0))
    quantity = trade.quantity + split_quantity + closed
    status = ORDER_STATUS[trade.status]
    filled = status == "filled"
    price = trade.entry_price
    if price is None and closes:
        price = closes[0].exit_price
    shape = _order_base(asset=trade.asset, created_at=trade.created_at, updated_at=trade.updated_at)
    has_bracket = trade.stop_loss is not None or trade.take_profit is not None
    both = trade.stop_loss is not None and trade.take_profit is not None
    order_type = trade.order_type.lower()
    shape.update(
        id=str(trade.uuid),
        client_order_id=trade.client_order_id or str(trade.uuid),
        order_class=("bracket" if both else "oto") if has_bracket else "simple",
        order_type=order_type,
        type=order_type,
        side=side_of(trade.direction),
        time_in_force=trade.time_in_force.lower(),
        qty=number(quantity),
        filled_qty=number(quantity) if filled else "0",
        filled_avg_price=number(price) if filled else None,
        filled_at=iso(trade.entry_at or (closes[0].exit_at if closes else None))
        if filled
        else None,
        expires_at=iso(trade.expires_at),
        limit_price=number(trade.limit_price),
        stop_price=number(trade.stop_price),
        status=status,
    )
    _status_times(shape, trade, status)
    if has_bracket:
        shape["legs"] = _legs(trade, status)
    return shape


def closing_order_shape(*, account_id: int, client_order_id: str, closes) -> dict:
    """An order that only closed positions: its row is gone, the trades it closed carry its
    client_order_id (`closing_client_order_id`) and its fill price (`exit_price`)."""
    first = min(closes, key=lambda t: (t.exit_at, t.pk))
    last_change = max(t.updated_at for t in closes)
    quantity = sum((t.quantity for t in closes), Decimal(0))
    shape = _order_base(asset=first.asset, created_at=first.exit_at, updated_at=last_change)
    shape.update(
        id=str(order_uuid(account_id, client_order_id)),
        client_order_id=client_order_id,
        order_class="simple",
        order_type="market",
        type="market",
        side=opposite_side(first.direction),
        time_in_force="day",
        qty=number(quantity),
        filled_qty=number(quantity),
        filled_avg_price=number(first.exit_price),
        filled_at=iso(first.exit_at),
        limit_price=None,
        stop_price=None,
        status="filled",
    )
    return shape


def clock_shape(clock) -> dict:
    return {
        "timestamp": iso(clock.timestamp),
        "is_open": clock.is_open,
        "next_open": iso(clock.next_open),
        "next_close": iso(clock.next_close),
    }


def session_shape(session) -> dict:
    """Alpaca's calendar day: open and close as New York wall times of that date. A session
    that does not fit in the day (the simulated market open around the clock) is 00:00-23:59."""
    opens, closes = session.open.astimezone(NEW_YORK), session.close.astimezone(NEW_YORK)
    if opens.date() != session.date or closes.date() != session.date:
        hours = ("00:00", "23:59")
    else:
        hours = (f"{opens:%H:%M}", f"{closes:%H:%M}")
    return {
        "date": session.date.isoformat(),
        "open": hours[0],
        "close": hours[1],
        "session_open": "0400",
        "session_close": "2000",
        "settlement_date": (session.date + timedelta(days=1)).isoformat(),
    }
