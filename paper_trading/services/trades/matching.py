"""Resting orders against new quotes: fills, bracket exits, expiry and rejection."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput
from core.quotes import quotes_get
from paper_trading.firm import TradeRejected, after_fill, check_order
from paper_trading.models import (
    PositionEffect,
    Trade,
    TradeStatus,
)
from paper_trading.services import fills
from paper_trading.services.clock import market_is_open
from paper_trading.services.journal import fills_mark, fills_undo
from paper_trading.services.trades.orders import (
    _fill_reducing,
    _opposite_trades,
)
from paper_trading.services.trades.writes import (
    _close,
    _fill_entry,
    _lock_account,
    _lock_trade,
)

logger = logging.getLogger(__name__)


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
    mark = fills_mark(account)
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
        fills_undo(account, mark)
        account.refresh_from_db()
        trade.refresh_from_db()
        _reject(trade, rejected.message)
        return 0
    if after_fill(account=account, trade=result.trade):
        return 1  # the firm liquidated the account: nothing is left to exit
    return 1 + _bracket_exit_if_crossed(
        account=account, trade=result.trade, quote=quote, now=now, config=config
    )


def _bracket_exit_if_crossed(*, account, trade: Trade, quote, now, config) -> int:
    """A trade that has just filled with a stop-loss or take-profit the same quote already
    crosses is closed in the same matching pass, not on the next quote (which may never
    come, or come at a worse price). Returns 1 when it closed it. Called only when the fill's
    `after_fill` says the firm did not liquidate the account (then the trade is as filled)."""
    if trade.status != TradeStatus.OPEN or (trade.stop_loss is None and trade.take_profit is None):
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
                done += 1
                if not after_fill(account=account, trade=trade):  # not liquidated
                    done += _bracket_exit_if_crossed(
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
