"""Closing everything an account holds at once (a breach, a failed or finished stage)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from core.quotes import quotes_get
from paper_trading.models import (
    CloseReason,
    Trade,
    TradeStatus,
)
from paper_trading.services import fills
from paper_trading.services.ledger import account_unsaved_flush
from paper_trading.services.trades.writes import (
    _close,
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
    account_unsaved_flush(account)
    return changed
