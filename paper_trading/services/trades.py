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

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput, StateConflict
from alpacabackend.money import to_quantity
from core.quotes import quotes_get, quotes_memoized
from core.services.quotes import quotes_ensure_fresh
from paper_trading.firm import TradeRejected, account_model, after_fill, check_order
from paper_trading.models import (
    CloseReason,
    Direction,
    LedgerKind,
    OrderType,
    PositionEffect,
    TimeInForce,
    Trade,
    TradeStatus,
)
from paper_trading.services import fills
from paper_trading.services.clock import market_is_open, session_close
from paper_trading.services.ledger import ledger_post

if TYPE_CHECKING:
    from prop_firm.models import PropFirmAccount

logger = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------------------
# Writes shared by the use cases (the caller holds the account lock)
# --------------------------------------------------------------------------------------


def _lock_account(account_id: int) -> PropFirmAccount:
    return account_model().objects.select_for_update().get(pk=account_id)


def _lock_trade(trade_id: int) -> Trade:
    return Trade.objects.select_for_update(of=("self",)).select_related("asset").get(pk=trade_id)


def _record_fill(
    account: PropFirmAccount,
    now: datetime,
    realized: Decimal | None = None,
    *,
    trade: Trade,
    quantity: Decimal,
) -> None:
    """Notes a fill on the locked account instance: when, a close's realised P&L (None for
    an entry), and the open trade it changed (`trade`, by `quantity`: added by an entry,
    taken off by a close). The firm's `after_fill` books it into the account's running
    totals and its positions, and writes them with the balance in one UPDATE, in the same
    transaction, without reading the history or the positions again."""
    account.__dict__.setdefault("fills_unbooked", []).append(
        (now, realized, trade.pk, trade.asset.symbol, trade.direction, quantity, trade.entry_price)
    )


def _fill_entry(
    *,
    account,
    trade: Trade,
    price: Decimal,
    now: datetime,
    config,
    user,
    fee: Decimal | None = None,
) -> None:
    """PENDING → OPEN at `price`; the entry commission (`fee`, by default the fill's own) is
    posted with it."""
    fee = fills.commission(trade.quantity, config) if fee is None else fee
    trade.status = TradeStatus.OPEN
    trade.entry_price = price
    trade.entry_at = now
    trade.commission = fee
    trade.save()
    if fee:
        side = fills.entry_side(trade.direction).lower()
        ledger_post(
            account=account,
            kind=LedgerKind.COMMISSION,
            amount=-fee,
            trade=trade,
            reference=f"trade:{trade.pk}",
            memo=f"Commission: {side} {trade.quantity} {trade.asset.symbol} @ {price}",
            created_by=user,
            save_account=False,
        )
    _record_fill(account, now, trade=trade, quantity=trade.quantity)


def _close(
    *,
    account,
    trade: Trade,
    quantity: Decimal,
    price: Decimal,
    reason: str,
    now: datetime,
    config,
    user=None,
    idempotency_key: str | None = None,
    exit_fee: Decimal | None = None,
    closing_order: Trade | None = None,
) -> Trade:
    """Closes `quantity` of an OPEN trade at `price` and posts its result; returns the closed
    trade. A partial close splits the trade: a new CLOSED trade (`split_from` the original)
    carries the closed quantity and its share of the entry commission, the original stays
    OPEN with the rest. `exit_fee` is the exit commission when the close is a piece of a
    larger fill (by default the close is its own fill); `closing_order` is the reducing order
    whose fill this is (its keys are recorded on the closed trade, for retries)."""
    if quantity < trade.quantity:
        entry_share = fills.allocate(trade.commission, quantity, trade.quantity)
        closed = Trade(
            account_id=trade.account_id,
            asset=trade.asset,
            direction=trade.direction,
            order_type=trade.order_type,
            time_in_force=trade.time_in_force,
            status=TradeStatus.OPEN,
            quantity=quantity,
            limit_price=trade.limit_price,
            stop_price=trade.stop_price,
            stop_triggered_at=trade.stop_triggered_at,
            entry_price=trade.entry_price,
            entry_at=trade.entry_at,
            stop_loss=trade.stop_loss,
            take_profit=trade.take_profit,
            commission=entry_share,
            notes=trade.notes,
            split_from=trade,
            close_idempotency_key=idempotency_key or None,
        )
        trade.quantity = trade.quantity - quantity
        trade.commission = trade.commission - entry_share
        trade.save(update_fields=["quantity", "commission", "updated_at"])
    else:
        closed = trade
        if idempotency_key:
            trade.close_idempotency_key = idempotency_key

    if closing_order is not None:
        closed.closing_client_order_id = closing_order.client_order_id or None
        closed.closing_idempotency_key = closing_order.idempotency_key or None
    own_fill = exit_fee is None
    exit_fee = fills.commission(quantity, config) if own_fill else exit_fee
    gross = fills.realized_gross(
        direction=closed.direction,
        entry_price=closed.entry_price,
        exit_price=price,
        quantity=quantity,
    )
    closed.status = TradeStatus.CLOSED
    closed.exit_price = price
    closed.exit_at = now
    closed.close_reason = reason
    closed.commission = closed.commission + exit_fee
    # What the trade added to B: its gross result less everything it was charged.
    closed.realized_pl = gross - closed.commission
    closed.save()

    symbol = closed.asset.symbol
    reference = f"trade:{closed.pk}"
    if gross:
        ledger_post(
            account=account,
            kind=LedgerKind.REALIZED_PNL,
            amount=gross,
            trade=closed,
            reference=reference,
            memo=f"{CloseReason(reason).label}: {closed.direction.lower()} {quantity} {symbol} "
            f"{closed.entry_price} → {price}",
            created_by=user,
            save_account=False,
        )
    if exit_fee:
        side = fills.exit_side(closed.direction).lower()
        share = "" if own_fill else f" (share of one {closing_order.quantity} fill)"
        ledger_post(
            account=account,
            kind=LedgerKind.COMMISSION,
            amount=-exit_fee,
            trade=closed,
            reference=reference,
            memo=f"Commission: {side} {quantity} {symbol} @ {price}{share}",
            created_by=user,
            save_account=False,
        )
    _record_fill(account, now, closed.realized_pl, trade=trade, quantity=quantity)
    return closed


def _append_note(trade: Trade, notes: str) -> None:
    if notes:
        trade.notes = f"{trade.notes}\n{notes}" if trade.notes else notes


# --------------------------------------------------------------------------------------
# Use cases
# --------------------------------------------------------------------------------------


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


def _replay(
    account, *, client_order_id, idempotency_key, asset, direction, quantity, order_type
) -> OrderResult | None:
    """What a retried POST already did, if anything (the caller holds the account lock): the
    trade or order it opened or placed, and the trades a reducing order closed."""
    keys, closing = Q(), Q()
    if client_order_id:
        keys |= Q(client_order_id=client_order_id)
        closing |= Q(closing_client_order_id=client_order_id)
    if idempotency_key:
        keys |= Q(idempotency_key=idempotency_key)
        closing |= Q(closing_idempotency_key=idempotency_key)
    if not keys:
        return None
    existing = Trade.objects.select_related("asset").filter(keys, account=account).first()
    closed = sorted(
        Trade.objects.select_related("asset").filter(closing, account=account), key=_fifo
    )
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


def _opposite_trades(account, asset, direction: str) -> list[Trade]:
    """The open trades an order in `direction` reduces, locked, oldest first (FIFO)."""
    trades = (
        Trade.objects.select_for_update(of=("self",))
        .select_related("asset")
        .filter(account=account, asset=asset, status=TradeStatus.OPEN)
        .exclude(direction=direction)
    )
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
    account: PropFirmAccount,
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

    with transaction.atomic():
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
        if position_effect == PositionEffect.REDUCE:
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
        after_fill(account=account, trade=result.trade)
        for changed in {*result.closed, result.opened} - {None}:
            changed.refresh_from_db()  # the firm's hook may have acted on it (a liquidation)
    return result


def trade_place(
    *, account: PropFirmAccount, asset, direction: str, quantity: Decimal, **options
) -> Trade:
    """`order_place` (same arguments) for callers that want only the trade it answers with."""
    return order_place(
        account=account, asset=asset, direction=direction, quantity=quantity, **options
    ).trade


@quotes_memoized
def trade_close(
    *,
    trade: Trade,
    quantity: Decimal | None = None,
    notes: str = "",
    user=None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Trade:
    """Closes an OPEN trade at market (all of it, or `quantity` of it, which splits it) and
    returns the closed trade. Closing a trade that is not open is a 409 (never a double close).
    """
    now = now or timezone.now()
    config = fills.FillConfig.from_settings()
    if quantity is not None:
        _check_quantity(trade.asset, quantity)
    quotes_ensure_fresh([trade.asset.symbol])  # before the lock: it may ask the provider

    with transaction.atomic():
        account = _lock_account(trade.account_id)
        if idempotency_key:
            done = Trade.objects.filter(
                account=account, close_idempotency_key=idempotency_key
            ).first()
            if done is not None and (done.pk == trade.pk or done.split_from_id == trade.pk):
                return done
        trade = _lock_trade(trade.pk)
        if trade.status != TradeStatus.OPEN:
            raise StateConflict(
                f"Trade {trade.pk} is {trade.status.lower()}; only an open trade can be closed.",
                code="TRADE_NOT_OPEN",
            )
        quantity = quantity or trade.quantity
        if quantity > trade.quantity:
            raise _invalid(
                "quantity",
                f"The trade holds {trade.quantity}; you cannot close more.",
                "INVALID_QUANTITY",
            )
        asset = trade.asset
        if not market_is_open(asset, now):
            raise _market_closed(asset)
        quote = _fresh_quote(asset, now)
        price = (
            fills.market_price(fills.exit_side(trade.direction), quote, config) if quote else None
        )
        if price is None:
            raise _no_price(asset)
        closed = _close(
            account=account,
            trade=trade,
            quantity=quantity,
            price=price,
            reason=CloseReason.MANUAL,
            now=now,
            config=config,
            user=user,
            idempotency_key=idempotency_key,
        )
        if notes:
            _append_note(closed, notes)
            closed.save(update_fields=["notes", "updated_at"])
        after_fill(account=account, trade=closed)
    return closed


def trade_cancel(*, trade: Trade, notes: str = "", user=None) -> Trade:
    """PENDING → CANCELLED. A filled, closed or already cancelled order is a 409."""
    with transaction.atomic():
        _lock_account(trade.account_id)
        trade = _lock_trade(trade.pk)
        if trade.status != TradeStatus.PENDING:
            raise StateConflict(
                f"Trade {trade.pk} is {trade.status.lower()}; only a pending order can be "
                "cancelled.",
                code="TRADE_NOT_PENDING",
            )
        trade.status = TradeStatus.CANCELLED
        _append_note(trade, notes)
        trade.save(update_fields=["status", "notes", "updated_at"])
    return trade


def trade_cancel_or_close(
    *, trade: Trade, notes: str = "", user=None, idempotency_key: str | None = None
) -> Trade:
    """The web app's "Cancel" on a trade: a pending order is cancelled; an OPEN position is
    closed at the market exactly as `trade_close` closes it (one fill, its P&L realised once).
    Anything else answers as `trade_cancel` does (409)."""
    if trade.status == TradeStatus.OPEN:
        return trade_close(trade=trade, notes=notes, user=user, idempotency_key=idempotency_key)
    return trade_cancel(trade=trade, notes=notes, user=user)


# A finished trade the trader may remove from their own lists.
_FINISHED = (
    TradeStatus.CLOSED,
    TradeStatus.CANCELLED,
    TradeStatus.REJECTED,
    TradeStatus.EXPIRED,
)


def trade_remove(*, trade: Trade, user=None, now: datetime | None = None) -> Trade:
    """The web app's "Remove" (DELETE): a pending order is cancelled; a finished trade is
    hidden from the trader's own lists (`hidden_at`). The row is never deleted: its ledger
    entries, the statistics and the staff's lists keep it. An OPEN trade is a 409."""
    if trade.status == TradeStatus.PENDING:
        return trade_cancel(trade=trade, user=user)
    if trade.status == TradeStatus.OPEN:
        raise StateConflict(
            f"Trade {trade.pk} is open: close it first, then you can remove it from your list.",
            code="TRADE_OPEN",
        )
    if trade.hidden_at is None:
        # Only the flag changes: no money moves, so the account lock is not needed.
        trade.hidden_at = now or timezone.now()
        Trade.objects.filter(pk=trade.pk, status__in=_FINISHED).update(hidden_at=trade.hidden_at)
    return trade


_UPDATABLE = ("stop_loss", "take_profit", "limit_price", "stop_price", "notes")


def trade_update(*, trade: Trade, changes: Mapping, user=None) -> Trade:
    """Changes stop_loss/take_profit (None clears) of a pending or open trade, or the
    limit/stop price of a pending order. Matching runs for the symbol after the change, so a
    bracket or price that is already crossed acts on the current quote."""
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise _invalid(sorted(unknown)[0], "This field cannot be changed.")
    with transaction.atomic():
        _lock_account(trade.account_id)
        trade = _lock_trade(trade.pk)
        if trade.status not in (TradeStatus.PENDING, TradeStatus.OPEN):
            raise StateConflict(
                f"Trade {trade.pk} is {trade.status.lower()} and can no longer be changed.",
                code="TRADE_NOT_ACTIVE",
            )
        order_prices = {"limit_price", "stop_price"} & set(changes)
        if order_prices and trade.status != TradeStatus.PENDING:
            raise StateConflict(
                "The order is already filled: only stop_loss and take_profit can be changed.",
                code="TRADE_NOT_PENDING",
            )
        limit_price = changes.get("limit_price", trade.limit_price)
        stop_price = changes.get("stop_price", trade.stop_price)
        if order_prices:
            _check_order_prices(trade.order_type, limit_price, stop_price)
        stop_loss = changes.get("stop_loss", trade.stop_loss)
        take_profit = changes.get("take_profit", trade.take_profit)
        _check_bracket(trade.direction, stop_loss, take_profit)

        trade.limit_price, trade.stop_price = limit_price, stop_price
        trade.stop_loss, trade.take_profit = stop_loss, take_profit
        if changes.get("notes"):
            trade.notes = changes["notes"]
        trade.save()
    # Once the change is committed, a price or bracket the quote already crosses acts at
    # once, and the answer shows the trade as it is now (filled or closed).
    orders_match(symbols=[trade.asset.symbol])
    trade.refresh_from_db()
    return trade


# --------------------------------------------------------------------------------------
# Matching, expiry, liquidation
# --------------------------------------------------------------------------------------


def _match_action(trade: Trade, quote, now: datetime, config) -> tuple[str, object] | None:
    """What the quote does to this trade: ("expire", None), ("fill", OrderFill),
    ("trigger", OrderFill), ("exit", ExitFill) or None."""
    if trade.status == TradeStatus.PENDING:
        if trade.expires_at is not None and trade.expires_at <= now:
            return ("expire", None)
        if quote is None or not market_is_open(trade.asset, now):
            return None
        fill = fills.order_fill(
            order_type=trade.order_type,
            side=fills.entry_side(trade.direction),
            quote=quote,
            config=config,
            limit_price=trade.limit_price,
            stop_price=trade.stop_price,
            already_triggered=trade.stop_triggered_at is not None,
        )
        if fill.price is not None:
            return ("fill", fill)
        if fill.triggered and trade.stop_triggered_at is None:
            return ("trigger", fill)
        return None
    if trade.status == TradeStatus.OPEN:
        if quote is None or not market_is_open(trade.asset, now):
            return None
        exit_fill = fills.bracket_exit(
            direction=trade.direction,
            quote=quote,
            config=config,
            stop_loss=trade.stop_loss,
            take_profit=trade.take_profit,
        )
        return ("exit", exit_fill) if exit_fill is not None else None
    return None


def _expire(trade: Trade, now: datetime) -> None:
    trade.status = TradeStatus.EXPIRED
    trade.rejection_reason = "Day order expired at the session close."
    trade.save(update_fields=["status", "rejection_reason", "updated_at"])


def _reject(trade: Trade, reason: str) -> None:
    trade.status = TradeStatus.REJECTED
    trade.rejection_reason = reason
    trade.save(update_fields=["status", "rejection_reason", "updated_at"])


def _fill_resting_reducing(*, account, trade: Trade, opposite, fill, quote, now, config) -> int:
    """Fills a resting REDUCE order that has a position to reduce; a refused rest rejects the
    whole order and undoes its closes (a savepoint). Returns the number of fills (the order,
    and its opened rest's bracket exit when the quote already crosses it)."""
    try:
        with transaction.atomic():
            if fill.triggered and trade.stop_triggered_at is None:
                trade.stop_triggered_at = now
            result = _fill_reducing(
                account=account,
                order=trade,
                opposite=opposite,
                price=fill.price,
                now=now,
                config=config,
                user=None,
            )
    except (TradeRejected, InvalidInput) as rejected:
        # The savepoint undid the closes; the objects in memory still hold their changes.
        account.refresh_from_db()
        trade.refresh_from_db()
        _reject(trade, rejected.message)
        return 0
    after_fill(account=account, trade=result.trade)
    return 1 + _bracket_exit_if_crossed(
        account=account, trade=result.trade, quote=quote, now=now, config=config
    )


def _bracket_exit_if_crossed(*, account, trade: Trade, quote, now, config) -> int:
    """A trade that has just filled with a stop-loss or take-profit the same quote already
    crosses is closed in the same matching pass, not on the next quote (which may never
    come, or come at a worse price). Returns 1 when it closed it."""
    if trade.status != TradeStatus.OPEN or (trade.stop_loss is None and trade.take_profit is None):
        return 0
    trade.refresh_from_db(fields=["status", "quantity"])  # the firm may have liquidated it
    account.refresh_from_db(fields=["status"])
    if account.status != "ACTIVE":
        return 0
    action = _match_action(trade, quote, now, config)
    if action is None or action[0] != "exit":
        return 0
    _, exit_fill = action
    closed = _close(
        account=account,
        trade=trade,
        quantity=trade.quantity,
        price=exit_fill.price,
        reason=exit_fill.reason,
        now=now,
        config=config,
    )
    after_fill(account=account, trade=closed)
    return 1


def _match_account(account_id: int, trade_ids: list[int], quotes, now, config) -> int:
    """Acts on the candidates of one account under its lock; returns the number of fills."""
    done = 0
    with transaction.atomic():
        account = _lock_account(account_id)
        for trade_id in trade_ids:
            trade = _lock_trade(trade_id)
            quote = quotes.get(trade.asset.symbol)
            action = _match_action(trade, quote, now, config)
            if action is None:
                continue  # another request changed it since the candidates were read
            kind, result = action
            if kind == "expire":
                _expire(trade, now)
            elif kind == "trigger":
                trade.stop_triggered_at = now
                trade.save(update_fields=["stop_triggered_at", "updated_at"])
            elif kind == "fill":
                opposite = []
                if trade.position_effect == PositionEffect.REDUCE:
                    opposite = _opposite_trades(account, trade.asset, trade.direction)
                if opposite:
                    done += _fill_resting_reducing(
                        account=account,
                        trade=trade,
                        opposite=opposite,
                        fill=result,
                        quote=quote,
                        now=now,
                        config=config,
                    )
                    continue
                try:
                    check_order(
                        account=account,
                        asset=trade.asset,
                        direction=trade.direction,
                        quantity=trade.quantity,
                        price=result.price,
                        reduces_position=False,
                        pending_trade_id=trade.pk,
                    )
                except TradeRejected as rejected:
                    _reject(trade, rejected.message)
                    continue
                if result.triggered and trade.stop_triggered_at is None:
                    trade.stop_triggered_at = now
                _fill_entry(
                    account=account,
                    trade=trade,
                    price=result.price,
                    now=now,
                    config=config,
                    user=None,
                )
                after_fill(account=account, trade=trade)
                done += 1 + _bracket_exit_if_crossed(
                    account=account, trade=trade, quote=quote, now=now, config=config
                )
            else:  # exit
                closed = _close(
                    account=account,
                    trade=trade,
                    quantity=trade.quantity,
                    price=result.price,
                    reason=result.reason,
                    now=now,
                    config=config,
                )
                after_fill(account=account, trade=closed)
                done += 1
    return done


def orders_match(*, symbols: Iterable[str] | None = None, now: datetime | None = None) -> int:
    """Fills the resting orders and bracket exits that the latest fresh quotes cross, and
    expires DAY orders past their session close. Each account is handled in its own
    transaction under its lock; returns the number of fills."""
    now = now or timezone.now()
    config = fills.FillConfig.from_settings()
    active = Q(status=TradeStatus.PENDING) | (
        Q(status=TradeStatus.OPEN) & (Q(stop_loss__isnull=False) | Q(take_profit__isnull=False))
    )
    candidates = Trade.objects.filter(active).select_related("asset").order_by("id")
    if symbols is not None:
        symbols = list(dict.fromkeys(symbols))
        if not symbols:
            return 0
        candidates = candidates.filter(asset__symbol__in=symbols)
    candidates = list(candidates)
    if not candidates:
        return 0
    quotes = {
        symbol: quote
        for symbol, quote in quotes_get({t.asset.symbol for t in candidates}).items()
        if quote.is_fresh(now)
    }
    by_account: dict[int, list[int]] = defaultdict(list)
    for trade in candidates:
        if _match_action(trade, quotes.get(trade.asset.symbol), now, config) is not None:
            by_account[trade.account_id].append(trade.pk)

    filled = 0
    for account_id, trade_ids in by_account.items():
        try:
            filled += _match_account(account_id, trade_ids, quotes, now, config)
        except Exception:  # one account's failure must not stop the others' fills
            logger.exception("Order matching failed for account %s", account_id)
    return filled


def on_quotes(symbols: Iterable[str]) -> int:
    """core's quote listener (`core.hooks.on_quotes`): these symbols have new quotes, so match
    their resting orders and brackets."""
    return orders_match(symbols=[getattr(item, "symbol", item) for item in symbols])


def orders_expire(*, now: datetime | None = None) -> int:
    """PENDING DAY orders past their session close → EXPIRED (no money moves). Set-based:
    the due rows are locked with SKIP LOCKED, so an order being matched right now (matching
    locks its account, then its trades) is never waited for: no deadlock, and it expires on
    the next run if it did not fill."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Trade.objects.filter(status=TradeStatus.PENDING, expires_at__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)
        )
        return Trade.objects.filter(pk__in=due, status=TradeStatus.PENDING).update(
            status=TradeStatus.EXPIRED,
            rejection_reason="Day order expired at the session close.",
            updated_at=now,
        )


def account_liquidate(*, account, quotes: Mapping | None = None, reason: str = "") -> list[Trade]:
    """Cancels every pending order and closes every open trade of the account at the
    liquidation price (long at bid, short at ask, last where there is neither; the entry price
    where there is no quote at all), posting P&L and commissions. Returns the trades it
    changed (cancelled and closed).

    Runs in the CALLER's transaction with the account row already locked; it does not call
    `after_fill` (the caller is the firm's rule engine). `quotes` maps symbol → quote (the
    prices the caller judged with); symbols missing from it are read from core.quotes.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("account_liquidate runs inside the caller's transaction.")
    now = timezone.now()
    config = fills.FillConfig.from_settings()
    trades = list(
        Trade.objects.select_for_update(of=("self",))
        .select_related("asset")
        .filter(account=account, status__in=[TradeStatus.PENDING, TradeStatus.OPEN])
        .order_by("id")
    )
    prices = dict(quotes or {})
    missing = {t.asset.symbol for t in trades if t.status == TradeStatus.OPEN} - set(prices)
    prices.update(quotes_get(missing) if missing else {})

    changed = []
    for trade in trades:
        if trade.status == TradeStatus.PENDING:
            trade.status = TradeStatus.CANCELLED
            trade.rejection_reason = reason or "Cancelled: the account was liquidated."
            trade.save(update_fields=["status", "rejection_reason", "updated_at"])
            changed.append(trade)
            continue
        price = fills.liquidation_price(trade.direction, prices.get(trade.asset.symbol))
        closed = _close(
            account=account,
            trade=trade,
            quantity=trade.quantity,
            price=price if price is not None else trade.entry_price,
            reason=CloseReason.LIQUIDATION,
            now=now,
            config=config,
        )
        if reason:
            closed.rejection_reason = reason
            closed.save(update_fields=["rejection_reason", "updated_at"])
        changed.append(closed)
    # The balance is written here, whoever called: the fills' running totals are the
    # firm's to book (its liquidation does).
    unsaved = account.__dict__.pop("unsaved_fields", None)
    if unsaved:
        account.save(update_fields=[*sorted(unsaved), "updated_at"])
    return changed
