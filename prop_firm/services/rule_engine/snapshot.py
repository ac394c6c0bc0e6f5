"""One account's state for the pure engine: its settings, the snapshot loaded from the
database (or carried over from the pre-trade check after a fill) and its fill totals.
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from alpacabackend.money import to_cents
from core.quotes import Quote as MarketQuote
from core.quotes import quotes_get
from paper_trading.selectors import account_live_trades
from paper_trading.services.journal import fills_take, journal_of, unsaved_take
from prop_firm import rules
from prop_firm.models import (
    AccountStatus,
    PropFirmAccount,
    RuleViolation,
)
from prop_firm.services.trading_day import day_key

ACTIVE = AccountStatus.ACTIVE
_ZERO = Decimal("0")

RULE_LABELS = {
    rules.DAILY_LOSS: "daily loss",
    rules.TOTAL_LOSS: "maximum loss",
    rules.INACTIVITY: "inactivity",
    rules.TIME_LIMIT: "time limit",
}

# Accounts whose breach is being handled in this context: paper trading's liquidation may
# call `after_fill` for every close, which must not judge the account again.
_acting: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "prop_firm_acting", default=frozenset()
)


def max_quote_age() -> int:
    return settings.MARKET_DATA_MAX_QUOTE_AGE


def snapshot_interval() -> timedelta:
    return timedelta(minutes=getattr(settings, "PROP_EQUITY_SNAPSHOT_MINUTES", 60))


def sweep_chunk_size() -> int:
    return getattr(settings, "PROP_RULE_SWEEP_CHUNK", 1000)


def rule_quotes(quotes: Mapping[str, MarketQuote]) -> dict[str, rules.Quote]:
    """core's quotes as the pure engine's."""
    return {symbol: rules.Quote(q.bid, q.ask, q.last, q.timestamp) for symbol, q in quotes.items()}


# --------------------------------------------------------------------------------------
# One account
# --------------------------------------------------------------------------------------


@dataclass
class AccountSnapshot:
    """An account's whole rule state, loaded in one query on its trades."""

    state: rules.AccountState
    symbols: set[str]
    day_keys: frozenset
    first_fill_at: datetime | None
    last_fill_at: datetime | None
    open_positions: int
    pending_orders: int
    daily_profits: dict = field(default_factory=dict)
    positions_by_trade: dict = field(default_factory=dict)


@dataclass
class CheckResult:
    account: PropFirmAccount
    evaluation: rules.Evaluation
    violations: list[RuleViolation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    next_account: PropFirmAccount | None = None


def account_snapshot_load(
    *,
    account: PropFirmAccount,
    quotes: Mapping[str, MarketQuote] | None = None,
    exclude_trade_id: int | None = None,
) -> AccountSnapshot:
    """Loads the trades of an account (one query) into the engine's `AccountState`.

    `exclude_trade_id` leaves out a pending order that is being filled right now, so its
    notional is not counted twice (once as pending, once as the order under check).

    Fill days are the day keys of every entry and exit fill; daily profits are the closed
    trades' realised P&L (net of commission) by the day key of their exit. This reads the
    whole history: the order path uses `account_snapshot_live` instead, and this one
    rebuilds the running totals it relies on (`fill_stats_from_history`).
    """
    from paper_trading.models import Trade

    trades = Trade.objects.filter(account=account, status__in=("PENDING", "OPEN", "CLOSED"))
    if exclude_trade_id is not None:
        trades = trades.exclude(pk=exclude_trade_id)
    rows = trades.values_list(*_TRADE_STATE_FIELDS)
    positions: list[rules.PositionState] = []
    pending: list[tuple[str, str, Decimal, Decimal | None, bool]] = []
    keys: set = set()
    profits: dict = {}
    fills: list[datetime] = []
    first_entry = None
    for status, symbol, direction, qty, entry, entry_at, exit_at, pnl, limit, stop, effect in rows:
        if status == "PENDING":
            pending.append((symbol, direction, qty, limit or stop, effect == "REDUCE"))
            continue
        if status == "OPEN":
            positions.append(rules.PositionState(symbol, direction, qty, entry or _ZERO))
        if entry_at is not None:
            fills.append(entry_at)
            keys.add(day_key(entry_at))
            first_entry = entry_at if first_entry is None else min(first_entry, entry_at)
        if status == "CLOSED" and exit_at is not None:
            fills.append(exit_at)
            exit_key = day_key(exit_at)
            keys.add(exit_key)
            profits[exit_key] = profits.get(exit_key, _ZERO) + (pnl or _ZERO)

    symbols = {p.symbol for p in positions} | {row[0] for row in pending}
    state = rules.AccountState(
        balance=account.current_balance,
        sod_balance=account.sod_balance,
        sod_equity=account.sod_equity,
        eod_hwm=account.eod_hwm,
        peak_equity=account.peak_equity,
        stage_started_at=account.stage_started_at or account.activated_at or timezone.now(),
        last_fill_at=max(fills) if fills else None,
        trading_day_keys=frozenset(keys),
        daily_profits=profits,
        positions=tuple(positions),
        pending_order_notional=_pending_notional(positions, pending, symbols, quotes),
        status=account.status,
        stage=account.stage,
    )
    return AccountSnapshot(
        state=state,
        symbols=symbols,
        day_keys=frozenset(keys),
        first_fill_at=first_entry,
        last_fill_at=max(fills) if fills else None,
        open_positions=len(positions),
        pending_orders=len(pending),
        daily_profits=profits,
    )


_TRADE_STATE_FIELDS = (
    "status",
    "asset__symbol",
    "direction",
    "quantity",
    "entry_price",
    "entry_at",
    "exit_at",
    "realized_pl",
    "limit_price",
    "stop_price",
    "position_effect",
)


def _pending_notional(positions, pending, symbols, quotes) -> Decimal:
    """The notional of the resting orders, at their limit/stop or else the latest price."""
    if not pending:
        return _ZERO
    market = quotes if quotes is not None else quotes_get(sorted(symbols))
    # A resting order that reduces the opposite position adds exposure only beyond it
    # (a take-profit sell on a long must not eat the buying power of other orders).
    held: dict[tuple[str, str], Decimal] = defaultdict(lambda: _ZERO)
    for position in positions:
        held[(position.symbol, position.direction)] += position.quantity
    total = _ZERO
    for symbol, direction, qty, price, reduces in pending:
        if reduces:
            opposite = (symbol, rules.SHORT if direction == rules.LONG else rules.LONG)
            covered = min(qty, held[opposite])
            held[opposite] -= covered
            qty -= covered
        if price is None and symbol in market:
            price = market[symbol].last or market[symbol].ask
        total += qty * (price or _ZERO)
    return total


def account_snapshot_live(
    *,
    account: PropFirmAccount,
    quotes: Mapping[str, MarketQuote] | None = None,
    exclude_trade_id: int | None = None,
) -> AccountSnapshot:
    """The order path's snapshot, whatever the length of the history: the account row's
    running totals (trading days, realised profit, best day, last fill) and one query on
    its open positions and pending orders. Same verdicts as `account_snapshot_load`."""
    # Read once per order: the engine may have read them for its own netting already.
    rows = account_live_trades(account)
    if exclude_trade_id is not None:
        rows = [row for row in rows if row[0] != exclude_trade_id]
    positions: list[rules.PositionState] = []
    by_trade: dict[int, rules.PositionState] = {}
    pending: list[tuple[str, str, Decimal, Decimal | None, bool]] = []
    for trade_id, status, symbol, direction, qty, entry, limit, stop, effect, _ in rows:
        if status == "PENDING":
            pending.append((symbol, direction, qty, limit or stop, effect == "REDUCE"))
        else:
            position = rules.PositionState(symbol, direction, qty, entry or _ZERO)
            positions.append(position)
            by_trade[trade_id] = position
    symbols = {p.symbol for p in positions} | {row[0] for row in pending}
    pending_notional = _pending_notional(positions, pending, symbols, quotes)
    return AccountSnapshot(
        state=_live_state(account, positions, pending_notional),
        symbols=symbols,
        day_keys=frozenset(),
        first_fill_at=account.first_fill_at,
        last_fill_at=account.last_fill_at,
        open_positions=len(positions),
        pending_orders=len(pending),
        positions_by_trade=by_trade,
    )


def positions_remember(account: PropFirmAccount, snapshot: AccountSnapshot) -> None:
    """Keeps the open positions the pre-trade check just read on the locked account
    instance, with how many fills were noted by then: `after_fill` applies the fills noted
    since instead of reading the positions again (one load per order)."""
    journal = journal_of(account)
    journal.firm_memo = (dict(snapshot.positions_by_trade), len(journal.fills))


def _positions_after_fills(account: PropFirmAccount) -> AccountSnapshot | None:
    """The live snapshot from the remembered positions and the fills noted since (see
    `positions_remember`); None when nothing was remembered in this request."""
    journal = journal_of(account)
    remembered, journal.firm_memo = journal.firm_memo, None
    if remembered is None:
        return None
    by_trade, noted = remembered
    for fill in journal.fills[noted:]:
        if fill.realized is None:  # an entry: the trade is open with `quantity`
            by_trade[fill.trade_id] = rules.PositionState(
                fill.symbol, fill.direction, fill.quantity, fill.entry_price
            )
            continue
        left = by_trade.pop(fill.trade_id).quantity - fill.quantity
        if left > 0:
            position = rules.PositionState(
                fill.symbol, fill.direction, left, fill.entry_price or _ZERO
            )
            by_trade[fill.trade_id] = position
    positions = tuple(by_trade[trade_id] for trade_id in sorted(by_trade))
    return AccountSnapshot(
        state=_live_state(account, positions, _ZERO),
        symbols={p.symbol for p in positions},
        day_keys=frozenset(),
        first_fill_at=account.first_fill_at,
        last_fill_at=account.last_fill_at,
        open_positions=len(positions),
        pending_orders=0,
    )


def _live_state(account: PropFirmAccount, positions, pending_notional) -> rules.AccountState:
    return rules.AccountState(
        balance=account.current_balance,
        sod_balance=account.sod_balance,
        sod_equity=account.sod_equity,
        eod_hwm=account.eod_hwm,
        peak_equity=account.peak_equity,
        stage_started_at=account.stage_started_at or account.activated_at or timezone.now(),
        last_fill_at=account.last_fill_at,
        positions=tuple(positions),
        pending_order_notional=pending_notional,
        status=account.status,
        stage=account.stage,
        trading_day_count=account.trading_days,
        realized_profit=account.realized_profit,
        best_day_profit=account.best_day_profit,
    )


# The running totals of the fills on the account row (see PropFirmAccount).
FILL_STATS_FIELDS = (
    "trading_days",
    "first_fill_at",
    "last_fill_at",
    "last_fill_day",
    "realized_profit",
    "profit_day",
    "profit_day_pl",
    "best_prior_day_pl",
)


def fill_stats_from_history(
    account: PropFirmAccount, snapshot: AccountSnapshot | None = None
) -> dict:
    """The running totals recomputed from the whole trade history (what the fills booked
    one by one must add up to; used off the order path and by the data migration)."""
    snapshot = snapshot or account_snapshot_load(account=account, quotes={})
    profits = snapshot.daily_profits
    profit_day = max(profits) if profits else None
    prior = [value for key, value in profits.items() if key != profit_day]
    return {
        "trading_days": len(snapshot.day_keys),
        "first_fill_at": account.first_fill_at or snapshot.first_fill_at,
        "last_fill_at": snapshot.last_fill_at,
        "last_fill_day": max(snapshot.day_keys) if snapshot.day_keys else None,
        "realized_profit": to_cents(sum(profits.values(), _ZERO)),
        "profit_day": profit_day,
        "profit_day_pl": to_cents(profits[profit_day]) if profit_day else to_cents(_ZERO),
        "best_prior_day_pl": to_cents(max(prior)) if prior else None,
    }


def fills_book(account: PropFirmAccount) -> list[str]:
    """Adds the fills paper trading recorded on this (locked) account instance since the
    last booking to its running totals, in memory; the fields that changed.

    Fills arrive in time order: a fill on a later day key than the last one is a new
    trading day; a close on a later day than `profit_day` closes that day's tally."""
    unsaved = unsaved_take(account)
    fills = fills_take(account)
    if not fills:
        return unsaved
    before = {name: getattr(account, name) for name in FILL_STATS_FIELDS}
    for fill in fills:
        at, realized = fill.at, fill.realized
        key = day_key(at)
        if account.last_fill_day is None or key > account.last_fill_day:
            account.trading_days += 1
            account.last_fill_day = key
        account.first_fill_at = account.first_fill_at or at
        if account.last_fill_at is None or at > account.last_fill_at:
            account.last_fill_at = at
        if realized is None:
            continue
        if account.profit_day != key:
            if account.profit_day is not None:
                account.best_prior_day_pl = (
                    account.profit_day_pl
                    if account.best_prior_day_pl is None
                    else max(account.best_prior_day_pl, account.profit_day_pl)
                )
            account.profit_day = key
            account.profit_day_pl = _ZERO
        account.profit_day_pl += realized
        account.realized_profit += realized
    return unsaved + [name for name in FILL_STATS_FIELDS if getattr(account, name) != before[name]]
