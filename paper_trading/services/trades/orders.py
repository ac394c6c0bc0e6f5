"""Placing an order: idempotent replay, opening fills and REDUCE orders netted FIFO
against the opposite position (see the package docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alpacabackend.api.errors import StateConflict
from alpacabackend.db import PreparedQuery, writes_batched
from core.quotes import quotes_memoized
from core.services.quotes import quotes_ensure_fresh
from paper_trading.firm import after_fill, check_order
from paper_trading.models import (
    CloseReason,
    OrderType,
    PositionEffect,
    TimeInForce,
    Trade,
    TradeStatus,
)
from paper_trading.selectors import AccountClaim, account_claimed_lock, account_live_trades
from paper_trading.services import fills
from paper_trading.services.clock import market_is_open, session_close
from paper_trading.services.trades.checks import (
    _LIMIT_TYPES,
    _check_asset,
    _check_bracket,
    _check_order_prices,
    _check_quantity,
    _fresh_quote,
    _market_closed,
    _no_price,
)
from paper_trading.services.trades.writes import (
    _close,
    _fill_entry,
    _lock_account,
)

if TYPE_CHECKING:
    from prop_firm.models import PropFirmAccount


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What one order did. `trade` is the answer: the last trade it closed (a reducing order),
    else the trade it opened or the order it placed."""

    trade: Trade
    closed: tuple[Trade, ...] = ()
    opened: Trade | None = None


def _fifo(trade: Trade) -> tuple:
    """Oldest first: by entry, then by the trade a piece was split from (its own id if none)."""
    return (trade.entry_at, trade.split_from_id or trade.pk)


_KEYS = ("client_order_id", "idempotency_key")


def _keyed(account_id, **keys):
    """The account's trades an order's `keys` name: the one it opened or placed (by the
    keys themselves), and those a reducing order closed (by their `closing_` copies)."""
    named = Q()
    for name, value in keys.items():
        named |= Q(**{name: value}) | Q(**{f"closing_{name}": value})
    return Trade.objects.select_related("asset").filter(named, account_id=account_id).order_by("pk")


# Every order a bot sends carries a client_order_id (alpaca-py makes one): one read, with
# SQL built once per combination of keys (issue 13).
_KEYED = {
    names: PreparedQuery(_keyed, account_id=-900_005, **{name: f"({name})" for name in names})
    for names in (_KEYS[:1], _KEYS[1:], _KEYS)
}


def _named(trade: Trade, keys: dict, prefix: str = "") -> bool:
    return any(getattr(trade, prefix + name) == value for name, value in keys.items())


def _replay(
    account, *, client_order_id, idempotency_key, asset, direction, quantity, order_type
) -> OrderResult | None:
    """What a retried POST already did, if anything (the caller holds the account lock): the
    trade or order it opened or placed, and the trades a reducing order closed."""
    values = dict(zip(_KEYS, (client_order_id, idempotency_key), strict=True))
    keys = {name: value for name, value in values.items() if value}
    if not keys:
        return None
    trades = _KEYED[tuple(keys)](account_id=account.pk, **keys)
    existing = next((t for t in trades if _named(t, keys)), None)
    closed = sorted((t for t in trades if _named(t, keys, "closing_")), key=_fifo)
    if existing is None and not closed:
        return None
    held = (existing.quantity if existing else 0) + sum(t.quantity for t in closed)
    same = (
        all(t.asset_id == asset.pk for t in [existing, *closed] if t is not None)
        and all(t.direction != direction for t in closed)
        and (
            existing is None
            or (existing.direction == direction and existing.order_type == order_type)
        )
        and (held == quantity or (existing is not None and existing.splits.exists()))
    )
    if not same:
        raise StateConflict(
            "This client_order_id or Idempotency-Key was already used for a different order.",
            code="IDEMPOTENCY_CONFLICT",
        )
    answer = closed[-1] if closed else existing
    return OrderResult(trade=answer, closed=tuple(closed), opened=existing)


def _price_estimate(order_type: str, limit_price, stop_price) -> Decimal:
    """What a resting order is expected to cost per unit, for the pre-trade check."""
    return limit_price if order_type in _LIMIT_TYPES else stop_price


_OPPOSITE_LOCKED = PreparedQuery(
    lambda account_id, asset_id, direction: (
        Trade.objects.select_for_update(of=("self",))
        .filter(account_id=account_id, asset_id=asset_id, status=TradeStatus.OPEN)
        .exclude(direction=direction)
    ),
    account_id=-900_003,
    asset_id=-900_004,
    direction="(direction)",
)


def _has_opposite(account, asset, direction: str) -> bool:
    """Whether the account has open trades an order in `direction` reduces, from its live
    trades, which the firm's pre-trade check reads next (kept: one read for both). Only
    then are they read again, whole and locked."""
    return any(
        status == TradeStatus.OPEN and asset_id == asset.pk and held != direction
        for _, status, _, held, *_, asset_id in account_live_trades(account, keep=True)
    )


def _opposite_trades(account, asset, direction: str) -> list[Trade]:
    """The open trades an order in `direction` reduces, locked, oldest first (FIFO)."""
    trades = _OPPOSITE_LOCKED(account_id=account.pk, asset_id=asset.pk, direction=direction)
    for trade in trades:
        trade.account, trade.asset = account, asset  # held already: no query to answer with
    return sorted(trades, key=_fifo)


def _fill_reducing(
    *,
    account,
    order: Trade,
    opposite: list[Trade],
    price: Decimal,
    now: datetime,
    config,
    user,
) -> OrderResult:
    """Fills a REDUCE order at `price`: closes `opposite` oldest first (the last one partially)
    and opens the rest as `order` itself. One commission on the whole quantity, shared by the
    pieces by quantity (the opened rest is the last piece).

    The caller holds the account lock inside a transaction and rolls it back when this raises:
    the rest is refused (TradeRejected, InvalidInput) only after the closes are written, so
    that the rest is judged on the account as the closes leave it.
    """
    pieces: list[tuple[Trade, Decimal]] = []
    left = order.quantity
    for trade in opposite:
        if left <= 0:
            break
        take = min(left, trade.quantity)
        pieces.append((trade, take))
        left -= take
    rest = left
    asset = order.asset
    if rest:
        _check_asset(asset, order.direction)  # e.g. SHORT_NOT_ALLOWED, before any write
    check_order(
        account=account,
        asset=asset,
        direction=order.direction,
        quantity=order.quantity - rest,
        price=price,
        reduces_position=True,
        pending_trade_id=order.pk,
    )
    fee = fills.commission(order.quantity, config)
    shares = fills.commission_shares(fee, [take for _, take in pieces] + ([rest] if rest else []))
    closed = tuple(
        _close(
            account=account,
            trade=trade,
            quantity=take,
            price=price,
            reason=CloseReason.MANUAL,
            now=now,
            config=config,
            user=user,
            exit_fee=share,
            closing_order=order,
        )
        for (trade, take), share in zip(pieces, shares, strict=False)
    )
    if not rest:
        if order.pk is not None:
            order.delete()  # a resting order that only closed: its fill is on those trades
        return OrderResult(trade=closed[-1], closed=closed)
    check_order(
        account=account,
        asset=asset,
        direction=order.direction,
        quantity=rest,
        price=price,
        reduces_position=False,
        pending_trade_id=order.pk,
    )
    order.quantity = rest
    _fill_entry(
        account=account, trade=order, price=price, now=now, config=config, user=user,
        fee=shares[-1],
    )  # fmt: skip
    return OrderResult(trade=closed[-1], closed=closed, opened=order)


@quotes_memoized
def order_place(
    *,
    account: PropFirmAccount | AccountClaim,
    asset,
    direction: str,
    quantity: Decimal,
    order_type: str = OrderType.MARKET,
    time_in_force: str = TimeInForce.GTC,
    limit_price: Decimal | None = None,
    stop_price: Decimal | None = None,
    stop_loss: Decimal | None = None,
    take_profit: Decimal | None = None,
    notes: str = "",
    client_order_id: str | None = None,
    idempotency_key: str | None = None,
    position_effect: str = PositionEffect.OPEN,
    user=None,
    now: datetime | None = None,
    order_uuid: UUID | None = None,
) -> OrderResult:
    """Places an order: a market order fills at once, a limit/stop order fills at once when
    the quote already crosses it, otherwise it rests as PENDING.

    OPEN opens a new trade in `direction`; REDUCE first reduces the opposite position (see the
    module's docstring). Brackets (`stop_loss`, `take_profit`) apply to what the order opens.
    A retry with the same `client_order_id` or `Idempotency-Key` returns the first result.
    Rejections (bad input, MARKET_CLOSED, NO_PRICE, the firm's check) write nothing.
    `account` may be a trader's `AccountClaim`, checked as the row is locked (404 for another
    user's account, 400 NO_ACTIVE_ACCOUNT without a current one).
    `order_uuid` is the order's public id when the caller must know it in advance (the
    Alpaca-compatible API derives it from the client_order_id, so an order that only closes,
    whose row is then deleted, keeps answering under the same id).
    """
    now = now or timezone.now()
    config = fills.FillConfig.from_settings()
    _check_quantity(asset, quantity)
    _check_order_prices(order_type, limit_price, stop_price)
    _check_bracket(direction, stop_loss, take_profit)
    quotes_ensure_fresh([asset.symbol])  # before the lock: it may ask the provider

    # The order's writes reach the database with the account's UPDATE (`writes_batched`).
    with transaction.atomic(), writes_batched():
        if isinstance(account, AccountClaim):
            account = account_claimed_lock(account)  # the trader's: checked as it is locked
        else:
            account = _lock_account(account.pk)
        replayed = _replay(
            account,
            client_order_id=client_order_id,
            idempotency_key=idempotency_key,
            asset=asset,
            direction=direction,
            quantity=quantity,
            order_type=order_type,
        )
        if replayed is not None:
            return replayed
        opposite = []
        if position_effect == PositionEffect.REDUCE and _has_opposite(account, asset, direction):
            opposite = _opposite_trades(account, asset, direction)
        reduces = min(quantity, sum((t.quantity for t in opposite), Decimal(0)))
        rest = quantity - reduces
        if rest:
            _check_asset(asset, direction)

        is_open = market_is_open(asset, now)
        quote = _fresh_quote(asset, now)
        if order_type == OrderType.MARKET and not is_open:
            raise _market_closed(asset)
        fill = fills.OrderFill(None, False)
        if is_open and quote is not None:
            fill = fills.order_fill(
                order_type=order_type,
                side=fills.entry_side(direction),
                quote=quote,
                config=config,
                limit_price=limit_price,
                stop_price=stop_price,
            )
        if order_type == OrderType.MARKET and fill.price is None:
            raise _no_price(asset)

        price = fill.price or _price_estimate(order_type, limit_price, stop_price)
        if reduces and fill.price is None:
            check_order(
                account=account,
                asset=asset,
                direction=direction,
                quantity=reduces,
                price=price,
                reduces_position=True,
            )
        if rest and not (reduces and fill.price is not None):
            # A reducing fill checks its rest itself, once the closes are written.
            check_order(
                account=account,
                asset=asset,
                direction=direction,
                quantity=rest,
                price=price,
                reduces_position=False,
            )
        trade = Trade(
            account=account,
            asset=asset,
            direction=direction,
            order_type=order_type,
            time_in_force=time_in_force,
            status=TradeStatus.PENDING,
            position_effect=position_effect,
            quantity=quantity,
            limit_price=limit_price,
            stop_price=stop_price,
            stop_triggered_at=now if fill.triggered else None,
            stop_loss=stop_loss,
            take_profit=take_profit,
            notes=notes,
            client_order_id=client_order_id or None,
            idempotency_key=idempotency_key or None,
        )
        if order_uuid is not None:
            trade.uuid = order_uuid
        if time_in_force == TimeInForce.DAY and order_type != OrderType.MARKET:
            trade.expires_at = session_close(asset, now)
        if fill.price is None:
            trade.save()
            return OrderResult(trade=trade, opened=trade)
        if reduces:
            result = _fill_reducing(
                account=account,
                order=trade,
                opposite=opposite,
                price=fill.price,
                now=now,
                config=config,
                user=user,
            )
        else:
            # Filled at once: inserted OPEN by `_fill_entry`, never PENDING then updated.
            _fill_entry(
                account=account, trade=trade, price=fill.price, now=now, config=config, user=user
            )
            result = OrderResult(trade=trade, opened=trade)
        if after_fill(account=account, trade=result.trade):
            for changed in {*result.closed, result.opened} - {None}:
                changed.refresh_from_db()  # the firm liquidated: answer with what it left
    return result


def trade_place(
    *, account: PropFirmAccount, asset, direction: str, quantity: Decimal, **options
) -> Trade:
    """`order_place` (same arguments) for callers that want only the trade it answers with."""
    return order_place(
        account=account, asset=asset, direction=direction, quantity=quantity, **options
    ).trade
