"""Writes shared by the use cases: locks, fills, entry and close with their ledger entries.

The caller holds the account lock; every balance change here goes through `ledger_post`
in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from alpacabackend.db import PreparedQuery, row_save
from paper_trading.firm import account_model
from paper_trading.models import (
    CloseReason,
    LedgerKind,
    Trade,
    TradeStatus,
)
from paper_trading.services import fills
from paper_trading.services.journal import NotedFill, journal_of
from paper_trading.services.ledger import ledger_post

if TYPE_CHECKING:
    from prop_firm.models import PropFirmAccount


# Every fill begins with these reads: their SQL is built once (issue 13).
_ACCOUNT_LOCKED = PreparedQuery(
    lambda account_id: account_model().objects.select_for_update().filter(pk=account_id),
    account_id=-900_001,
)
_TRADE_LOCKED = PreparedQuery(
    lambda trade_id: (
        Trade.objects.select_for_update(of=("self",)).select_related("asset").filter(pk=trade_id)
    ),
    trade_id=-900_002,
)


def _lock_account(account_id: int) -> PropFirmAccount:
    account = _ACCOUNT_LOCKED.first(account_id=account_id)
    if account is None:
        raise account_model().DoesNotExist(f"No account {account_id}.")
    return account


def _lock_trade(trade_id: int) -> Trade:
    trade = _TRADE_LOCKED.first(trade_id=trade_id)
    if trade is None:
        raise Trade.DoesNotExist(f"No trade {trade_id}.")
    return trade


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
    journal_of(account).fills.append(
        NotedFill(
            now, realized, trade.pk, trade.asset.symbol, trade.direction, quantity,
            trade.entry_price,
        )
    )  # fmt: skip


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
    row_save(trade)
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
        row_save(trade, update_fields=["quantity", "commission", "updated_at"], batched=True)
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
    # A piece split off now is INSERTed at once: its entries name its id. The trade itself is
    # locked, so its UPDATE may wait for the next statement (`writes_batched`).
    row_save(closed, batched=not closed._state.adding)

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
