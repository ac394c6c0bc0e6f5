"""A trader's changes to one trade: close (whole or part), cancel, remove, update."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import StateConflict
from core.quotes import quotes_memoized
from core.services.quotes import quotes_ensure_fresh
from paper_trading.firm import after_fill
from paper_trading.models import (
    CloseReason,
    Trade,
    TradeStatus,
)
from paper_trading.services import fills
from paper_trading.services.clock import market_is_open
from paper_trading.services.trades.checks import (
    _check_bracket,
    _check_order_prices,
    _check_quantity,
    _fresh_quote,
    _invalid,
    _market_closed,
    _no_price,
)
from paper_trading.services.trades.matching import (
    orders_match,
)
from paper_trading.services.trades.writes import (
    _append_note,
    _close,
    _lock_account,
    _lock_trade,
)


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
