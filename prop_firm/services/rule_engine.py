"""The rule engine's I/O: load account state, ask `prop_firm.rules`, persist and act.

Three ways in:
- per account (`account_check_locked`, `account_check`, `RuleEngine`): after every fill,
  on `refresh_balance`, and for the few accounts a sweep flags. Locks the account, loads
  its state, evaluates with the latest quotes and acts: breach → liquidate + violation +
  FAILED; pass → next stage; 80% warning → one activity per rule per day. After a fill
  (the order path) the state is the account row's running totals (trading days, realised
  profit, best day: `fills_book`) and the positions the pre-trade check read, with the
  fills applied: nothing grows with the history. Elsewhere the totals are rebuilt from the
  whole history (`fill_stats_from_history`), which heals any drift.
- the sweep (`sweep_chunks`, `sweep_chunk`): every active account marked to market in a
  constant number of queries per chunk, only material changes written in bulk (a raised
  PEAK_E or F_t, an equity point when due), only flagged accounts taking the per-account
  path.
- the daily reset (`daily_reset`): SOD snapshots and EOD high-water marks per day key.

Invariants: the balance changes only through the ledger (never here); PEAK_E, EOD_HWM and
the stored max-loss floor only rise; a stale quote never fails an account (`rules.evaluate`
reports no loss breach then); running any of these twice on the same state records nothing
twice (violations are unique per rule, warnings keyed by day, stages linked one-to-one).
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alpacabackend.money import to_cents
from core.quotes import Quote as MarketQuote
from core.quotes import quotes_get
from prop_firm import rules
from prop_firm.models import (
    AccountStatus,
    PropFirmAccount,
    RuleViolation,
)
from prop_firm.services import lifecycle, notifications
from prop_firm.services.bulk import Marks, marks_write, snapshots_write
from prop_firm.services.day_start import (
    DAY_START_MARKS,
    day_start_marks_ensure,
    day_start_marks_preview,
    day_start_snapshots_take,
)
from prop_firm.services.stages import PlanRulesCache, account_rules, next_stage
from prop_firm.services.trading_day import day_key

logger = logging.getLogger(__name__)

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
    from paper_trading.models import Trade

    trades = Trade.objects.filter(account=account, status__in=("PENDING", "OPEN"))
    if exclude_trade_id is not None:
        trades = trades.exclude(pk=exclude_trade_id)
    positions: list[rules.PositionState] = []
    by_trade: dict[int, rules.PositionState] = {}
    pending: list[tuple[str, str, Decimal, Decimal | None, bool]] = []
    rows = trades.order_by("id").values_list(
        "id",
        "status",
        "asset__symbol",
        "direction",
        "quantity",
        "entry_price",
        "limit_price",
        "stop_price",
        "position_effect",
    )
    for trade_id, status, symbol, direction, qty, entry, limit, stop, effect in rows:
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
    noted = len(account.__dict__.get("fills_unbooked", ()))
    account.__dict__["rule_positions"] = (dict(snapshot.positions_by_trade), noted)


def _positions_after_fills(account: PropFirmAccount) -> AccountSnapshot | None:
    """The live snapshot from the remembered positions and the fills noted since (see
    `positions_remember`); None when nothing was remembered in this request."""
    remembered = account.__dict__.pop("rule_positions", None)
    if remembered is None:
        return None
    by_trade, noted = remembered
    for _, realized, trade_id, symbol, direction, quantity, entry in account.__dict__.get(
        "fills_unbooked", ()
    )[noted:]:
        if realized is None:  # an entry: the trade is open with `quantity`
            by_trade[trade_id] = rules.PositionState(symbol, direction, quantity, entry)
            continue
        left = by_trade.pop(trade_id).quantity - quantity
        if left > 0:
            position = rules.PositionState(symbol, direction, left, entry or _ZERO)
            by_trade[trade_id] = position
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
    unsaved = sorted(account.__dict__.pop("unsaved_fields", ()))
    account.__dict__.pop("rule_positions", None)  # counted against the journal popped here
    journal = account.__dict__.pop("fills_unbooked", None)
    if not journal:
        return unsaved
    before = {name: getattr(account, name) for name in FILL_STATS_FIELDS}
    for at, realized, *_ in journal:
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


def account_evaluate(
    *, account: PropFirmAccount, now: datetime | None = None
) -> tuple[rules.Evaluation, AccountSnapshot]:
    """The live verdict for an account with the latest quotes. Reads only: nothing is
    written or acted upon (the account detail shows it)."""
    now = now or timezone.now()
    snapshot = account_snapshot_load(account=account)
    quotes = quotes_get(sorted(snapshot.symbols)) if snapshot.symbols else {}
    day_start_marks_preview(account=account, now=now)
    snapshot.state = dataclasses.replace(
        snapshot.state,
        sod_balance=account.sod_balance,
        sod_equity=account.sod_equity,
        eod_hwm=account.eod_hwm,
    )
    plan_rules = account_rules(account)
    evaluation = rules.evaluate(
        plan_rules, snapshot.state, rule_quotes(quotes), now, max_quote_age()
    )
    return evaluation, snapshot


def _apply_marks(account: PropFirmAccount, evaluation: rules.Evaluation, now) -> list[str]:
    """Copies the evaluation's marks onto the account; the fields that changed."""
    marks = {
        "equity": to_cents(evaluation.equity),
        "unrealized_pl": to_cents(evaluation.unrealized_pl),
        "peak_equity": max(account.peak_equity, to_cents(evaluation.peak_equity)),
        "max_loss_floor": max(account.max_loss_floor, to_cents(evaluation.max_loss_floor)),
    }
    changed = [name for name, value in marks.items() if getattr(account, name) != value]
    for name in changed:
        setattr(account, name, marks[name])
    if changed:
        account.last_marked_at = now
        changed.append("last_marked_at")
    return changed


def account_mark(*, account: PropFirmAccount, now: datetime | None = None) -> rules.Evaluation:
    """Re-marks one account to the latest quotes and stores E, U, PEAK_E and F_t (the seed's
    `account.update_balance()`); acts on nothing. `account` is refreshed in place."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        day_start_marks_ensure(account=locked, now=now)
        evaluation, _ = account_evaluate(account=locked, now=now)
        changed = _apply_marks(locked, evaluation, now)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    for name in (
        "current_balance",
        "equity",
        "unrealized_pl",
        "peak_equity",
        "max_loss_floor",
        *DAY_START_MARKS,
    ):
        setattr(account, name, getattr(locked, name))
    account.last_marked_at = locked.last_marked_at
    return evaluation


def account_quotes_refresh(*, account: PropFirmAccount | int) -> None:
    """Fresh quotes for the account's open positions before it is marked: with no stream or
    poll running (the embedded default) the cache would otherwise only hold stale prices.
    Skipped inside a transaction, where no network call may happen."""
    from core.services.quotes import quotes_ensure_fresh
    from paper_trading.models import Trade

    if transaction.get_connection().in_atomic_block:
        return
    symbols = (
        Trade.objects.filter(account=account, status="OPEN")
        .values_list("asset__symbol", flat=True)
        .distinct()
    )
    quotes_ensure_fresh(list(symbols))


def account_check(
    *, account: PropFirmAccount | int, now: datetime | None = None, actor=None
) -> CheckResult:
    """Locks the account, re-marks it and acts on what RULES.md says (breach, pass, warning)."""
    account_id = account if isinstance(account, int) else account.pk
    account_quotes_refresh(account=account_id)
    with transaction.atomic():
        locked = (
            PropFirmAccount.objects.select_related("plan", "user")
            .select_for_update(of=("self",))
            .get(pk=account_id)
        )
        result = account_check_locked(account=locked, now=now or timezone.now(), actor=actor)
    if not isinstance(account, int):
        account.refresh_from_db()
    return result


def account_check_locked(
    *,
    account: PropFirmAccount,
    now: datetime,
    actor=None,
    fill_recorded: bool = False,
    after_fill: bool = False,
    quotes: Mapping[str, MarketQuote] | None = None,
) -> CheckResult:
    """The per-account path. The caller holds the account lock inside a transaction.

    `after_fill` is the order path: the fills just recorded are booked into the running
    totals and the account is judged from them, its open positions and pending orders,
    whatever the length of its history. Otherwise (a sweep's flag, a refresh, the reset)
    the totals are rebuilt from the whole history, which also heals any drift."""
    # The reset task has not reached this account yet: a new day is judged from its own
    # start-of-day marks, never from yesterday's.
    day_start_marks_ensure(account=account, now=now)
    if after_fill:
        snapshot = _positions_after_fills(account)
        changed = fills_book(account)
        if snapshot is None:
            snapshot = account_snapshot_live(account=account, quotes=quotes)
        else:
            # The totals were booked after the snapshot was built from the row.
            snapshot.state = _live_state(account, snapshot.state.positions, _ZERO)
    else:
        snapshot = account_snapshot_load(account=account, quotes=quotes)
        changed = _apply_fill_stats(account, snapshot)
    market = quotes if quotes is not None else {}
    missing = sorted(snapshot.symbols - market.keys())
    if missing:
        market = {**market, **quotes_get(missing)}
    evaluation = rules.evaluate(
        account_rules(account), snapshot.state, rule_quotes(market), now, max_quote_age()
    )
    changed += _apply_marks(account, evaluation, now)
    if changed:
        account.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    result = CheckResult(account=account, evaluation=evaluation)
    if account.status != ACTIVE or account.pk in _acting.get():
        return result
    if evaluation.breaches:
        result.violations = _breach_handle(
            account=account, evaluation=evaluation, quotes=market, now=now, actor=actor
        )
        return result
    if evaluation.passed:
        following = next_stage(account.plan, stage=account.stage, phase=account.phase)
        if following is not None:
            result.next_account = lifecycle.stage_pass_locked(
                account=account, now=now, next_stage=following, actor=actor
            )
            return result
    result.warnings = _warnings_handle(account=account, evaluation=evaluation, now=now)
    return result


def _apply_fill_stats(account: PropFirmAccount, snapshot: AccountSnapshot) -> list[str]:
    account.__dict__.pop("fills_unbooked", None)  # the history includes them
    account.__dict__.pop("rule_positions", None)
    unsaved = sorted(account.__dict__.pop("unsaved_fields", ()))
    stats = fill_stats_from_history(account, snapshot)
    changed = unsaved + [name for name, value in stats.items() if getattr(account, name) != value]
    for name in changed:
        setattr(account, name, stats[name])
    return changed


def _breach_handle(
    *,
    account: PropFirmAccount,
    evaluation: rules.Evaluation,
    quotes: Mapping[str, MarketQuote],
    now: datetime,
    actor=None,
) -> list[RuleViolation]:
    """RULES.md "A hard breach is handled in one database transaction": violations with
    their inputs, every pending order cancelled and position closed at the liquidation price,
    FAILED with the reason, activity; email after commit."""
    existing = set(account.violations.values_list("violation_type", flat=True))
    violations = [
        RuleViolation.objects.create(
            account=account,
            violation_type=breach.rule,
            description=breach.description,
            threshold_value=to_cents(breach.threshold),
            actual_value=to_cents(breach.actual),
            prices={symbol: str(price) for symbol, price in breach.prices.items()},
            occurred_at=breach.at,
        )
        for breach in evaluation.breaches
        if breach.rule not in existing
    ]
    reason = " ".join(breach.description for breach in evaluation.breaches)
    token = _acting.set(_acting.get() | {account.pk})
    try:
        lifecycle.liquidate(account=account, reason=reason, quotes=dict(quotes))
    finally:
        _acting.reset(token)
    account.refresh_from_db()
    lifecycle.fail_locked(account=account, reason=reason, now=now, actor=actor)
    for breach in evaluation.breaches:
        notifications.notify(
            notifications.BREACH,
            account,
            rule_label=RULE_LABELS[breach.rule],
            description=breach.description,
            threshold=str(to_cents(breach.threshold)),
            actual=str(to_cents(breach.actual)),
            prices=", ".join(f"{s} {p}" for s, p in breach.prices.items()) or "none",
            occurred_at=breach.at.isoformat(),
        )
    return violations


def _warnings_handle(
    *, account: PropFirmAccount, evaluation: rules.Evaluation, now: datetime
) -> list[str]:
    """One warning activity (and email) per rule per trading day at 80% of the room used."""
    today = day_key(now)
    written = []
    for warning in evaluation.warnings:
        field_name = _WARNED_FIELD[warning.rule]
        if getattr(account, field_name) == today:
            continue
        setattr(account, field_name, today)
        account.save(update_fields=[field_name, "updated_at"])
        floor = (
            evaluation.daily_loss_floor
            if warning.rule == rules.DAILY_LOSS
            else evaluation.max_loss_floor
        )
        lifecycle.activity_record(
            account=account,
            kind=lifecycle.WARNING,
            message=(
                f"{RULE_LABELS[warning.rule].capitalize()} room {warning.used_pct}% used: "
                f"equity ${to_cents(evaluation.equity)}, floor ${to_cents(floor)}."
            ),
            after={
                "rule": warning.rule,
                "day": today.isoformat(),
                "used_pct": str(warning.used_pct),
                "equity": str(to_cents(evaluation.equity)),
                "floor": str(to_cents(floor)),
            },
        )
        notifications.notify(
            notifications.WARNING,
            account,
            rule_label=RULE_LABELS[warning.rule],
            used_pct=str(warning.used_pct),
            equity=str(to_cents(evaluation.equity)),
            floor=str(to_cents(floor)),
        )
        written.append(warning.rule)
    return written


_WARNED_FIELD = {
    rules.DAILY_LOSS: "daily_loss_warned_day",
    rules.TOTAL_LOSS: "max_loss_warned_day",
}


class RuleEngine:
    """The seed's ops door: `RuleEngine(account).check_all_rules()` in `manage.py shell`."""

    def __init__(self, account: PropFirmAccount):
        self.account = account

    def check_all_rules(self) -> list[RuleViolation]:
        """Re-marks and judges the account now; the violations this check recorded."""
        return account_check(account=self.account).violations


# --------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------


@dataclass
class SweepStats:
    accounts: int = 0
    written: int = 0
    snapshots: int = 0
    flagged: list[int] = field(default_factory=list)
    stale: int = 0

    def add(self, other: SweepStats) -> None:
        self.accounts += other.accounts
        self.written += other.written
        self.snapshots += other.snapshots
        self.flagged += other.flagged
        self.stale += other.stale


_SWEEP_FIELDS = (
    "id",
    "plan_id",
    "stage",
    "phase",
    "current_balance",
    "sod_balance",
    "sod_equity",
    "eod_hwm",
    "peak_equity",
    "max_loss_floor",
    "stage_started_at",
    "activated_at",
    "last_fill_at",
    "trading_days",
    "equity_snapshot_at",
    "daily_loss_warned_day",
    "max_loss_warned_day",
    "starting_balance",
)


def sweep_chunks(*, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """The active accounts as id ranges of at most `chunk_size` accounts (one query)."""
    size = chunk_size or sweep_chunk_size()
    ids = list(
        PropFirmAccount.objects.filter(status=ACTIVE).order_by("id").values_list("id", flat=True)
    )
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


class SweepContext:
    """What one process keeps between chunks of a sweep: `now`, quotes and plan rules
    (quotes fetched once per symbol per sweep)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.today = day_key(self.now)
        self.quotes: dict[str, rules.Quote] = {}
        self.market: dict[str, MarketQuote] = {}
        self._fetched: set[str] = set()
        self.plans = PlanRulesCache()
        self.max_age = max_quote_age()

    def fetch(self, symbols: set[str]) -> None:
        missing = symbols - self._fetched
        if missing:
            fresh = quotes_get(sorted(missing))
            self.market.update(fresh)
            self.quotes.update(rule_quotes(fresh))
            self._fetched |= missing


def sweep(
    *, now: datetime | None = None, chunk_size: int | None = None, progress=None
) -> SweepStats:
    """Marks and judges every active account, chunk after chunk, in this process."""
    context = SweepContext(now)
    stats = SweepStats()
    chunks = sweep_chunks(chunk_size=chunk_size)
    for first_id, last_id in chunks:
        stats.add(sweep_chunk(first_id=first_id, last_id=last_id, context=context))
        if progress is not None:
            progress(1)
    return stats


def sweep_chunk(*, first_id: int, last_id: int, context: SweepContext | None = None) -> SweepStats:
    """Marks the active accounts with `first_id <= id <= last_id` to market and judges them.

    Queries: accounts (1), open positions (1), plans and phases (2, first chunk only),
    marks written (1 bulk update), equity points (1 bulk insert, when due). Accounts with a
    breach, a pass to make or a new warning go through `account_check` (lock, re-check,
    act) one by one: in a healthy book they are few.
    """
    context = context or SweepContext()
    now = context.now
    # Accounts the reset task has not reached yet get today's start-of-day marks first.
    day_start_snapshots_take(
        now=now,
        account_ids=PropFirmAccount.objects.filter(status=ACTIVE, id__gte=first_id, id__lte=last_id)
        .exclude(sod_day__gte=context.today)
        .values_list("id", flat=True),
        plans=context.plans,
    )
    with transaction.atomic():
        stats = _sweep_chunk_locked(first_id=first_id, last_id=last_id, context=context)
    for account_id in stats.flagged:
        try:
            account_check(account=account_id, now=now)
        except Exception:  # one account's failure never stops the sweep
            logger.exception("Rule check failed for account %s", account_id)
    return stats


def _sweep_chunk_locked(*, first_id: int, last_id: int, context: SweepContext) -> SweepStats:
    """Reads, marks and writes one chunk inside the caller's transaction. The rows are locked
    with SKIP LOCKED: an account in the middle of a fill or a payout is left to the next
    sweep instead of being overwritten with marks computed from its old balance."""
    now = context.now
    rows = list(
        PropFirmAccount.objects.filter(status=ACTIVE, id__gte=first_id, id__lte=last_id)
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list(*_SWEEP_FIELDS)
    )
    stats = SweepStats(accounts=len(rows))
    if not rows:
        return stats
    from paper_trading.selectors import open_positions_for_accounts

    positions = open_positions_for_accounts([row[0] for row in rows])
    context.plans.load({row[1] for row in rows})
    context.fetch({p.symbol for account_positions in positions.values() for p in account_positions})
    quotes = context.quotes
    interval = snapshot_interval()
    updates: list[Marks] = []
    snapshots: list[tuple] = []
    for (
        account_id,
        plan_id,
        stage,
        phase,
        balance,
        sod_balance,
        sod_equity,
        eod_hwm,
        peak_equity,
        floor,
        stage_started_at,
        activated_at,
        last_fill_at,
        trading_days,
        snapshot_at,
        daily_warned,
        total_warned,
        starting_balance,
    ) in rows:
        plan_rules = context.plans.get(plan_id, stage, phase, starting_balance)
        own = positions.get(account_id, ())
        state = rules.AccountState(
            balance=balance,
            sod_balance=sod_balance,
            sod_equity=sod_equity,
            eod_hwm=eod_hwm,
            peak_equity=peak_equity,
            stage_started_at=stage_started_at or activated_at or now,
            last_fill_at=last_fill_at,
            positions=tuple(own),
            stage=stage,
        )
        evaluation = rules.evaluate(plan_rules, state, quotes, now, context.max_age)
        if evaluation.stale:
            stats.stale += 1
        if _flagged(
            evaluation,
            plan_rules,
            own,
            balance,
            trading_days,
            daily_warned,
            total_warned,
            context.today,
        ):
            stats.flagged.append(account_id)
        new_equity = to_cents(evaluation.equity)
        new_unrealized = to_cents(evaluation.unrealized_pl)
        new_peak = to_cents(evaluation.peak_equity)
        new_floor = to_cents(evaluation.max_loss_floor)
        snapshot_due = snapshot_at is None or now - snapshot_at >= interval
        # Only what matters is written (issue 13): a raised PEAK_E or F_t, or an equity
        # point when due. E and U move with every tick; the trader's views value them live
        # (account detail, positions), so rewriting every row every sweep bought nothing but
        # dead tuples. The stored E is at most one snapshot interval old, and every fill,
        # refresh and flagged check stores it too.
        if new_peak > peak_equity or new_floor > floor or snapshot_due:
            updates.append(
                Marks(
                    account_id,
                    new_equity,
                    new_unrealized,
                    new_peak,
                    new_floor,
                    now,
                    now if snapshot_due else snapshot_at,
                )
            )
        if snapshot_due:
            snapshots.append((account_id, now, balance, new_equity))
    marks_write(updates)
    snapshots_write(snapshots)
    stats.written, stats.snapshots = len(updates), len(snapshots)
    return stats


def _flagged(
    evaluation: rules.Evaluation,
    plan_rules: rules.PlanRules,
    positions,
    balance: Decimal,
    trading_days: int,
    daily_warned,
    total_warned,
    today,
) -> bool:
    """Whether an account needs the per-account path: a breach, a pass to make (the sweep
    does not load fill days: flat, target reached and enough days counted is enough to look
    closer), or a warning not yet written today."""
    if evaluation.breaches:
        return True
    target = plan_rules.profit_target
    if (
        target is not None
        and not positions
        and balance - plan_rules.starting_balance >= target
        and trading_days >= plan_rules.min_trading_days
    ):
        return True
    for warning in evaluation.warnings:
        warned = daily_warned if warning.rule == rules.DAILY_LOSS else total_warned
        if warned != today:
            return True
    return False


# --------------------------------------------------------------------------------------
# The daily reset
# --------------------------------------------------------------------------------------


@dataclass
class ResetStats:
    day: object = None
    snapshots: int = 0
    checked: list[int] = field(default_factory=list)


def daily_reset(
    *, now: datetime | None = None, chunk_size: int | None = None, progress=None
) -> ResetStats:
    """Takes the start-of-day snapshot of every active account not yet snapshotted for the
    current day key (see `day_start_snapshots_take`), then judges accounts whose inactivity
    or time limit has run out."""
    now = now or timezone.now()
    today = day_key(now)
    size = chunk_size or sweep_chunk_size()
    stats = ResetStats(day=today)
    plans = PlanRulesCache()
    due_ids = list(
        PropFirmAccount.objects.filter(status=ACTIVE)
        .exclude(sod_day__gte=today)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for index in range(0, len(due_ids), size):
        ids = due_ids[index : index + size]
        stats.snapshots += day_start_snapshots_take(now=now, account_ids=ids, plans=plans)
        if progress is not None:
            progress(len(ids))
    stats.checked = _time_limits_run_out(now=now, plans=plans)
    for account_id in stats.checked:
        try:
            account_check(account=account_id, now=now)
        except Exception:
            logger.exception("Rule check failed for account %s", account_id)
    return stats


def _time_limits_run_out(*, now: datetime, plans: PlanRulesCache) -> list[int]:
    """Active accounts whose inactivity or stage time limit has run out (one query)."""
    rows = PropFirmAccount.objects.filter(status=ACTIVE).values_list(
        "id", "plan_id", "stage", "phase", "last_fill_at", "stage_started_at", "activated_at"
    )
    rows = list(rows)
    plans.load({row[1] for row in rows})
    due = []
    for account_id, plan_id, stage, phase, last_fill_at, started_at, activated_at in rows:
        plan_rules = plans.get(plan_id, stage, phase)
        started_at = started_at or activated_at or now
        if (
            plan_rules.max_inactive_days is not None
            and now - (last_fill_at or started_at) >= timedelta(days=plan_rules.max_inactive_days)
        ) or (
            plan_rules.max_stage_days is not None
            and plan_rules.profit_target is not None
            and now - started_at >= timedelta(days=plan_rules.max_stage_days)
        ):
            due.append(account_id)
    return due
