"""The sweep: every active account marked to market in chunks, in a constant number of
queries per chunk; material changes written in bulk, flagged accounts sent to `checks`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from alpacabackend.money import to_cents
from core.quotes import Quote as MarketQuote
from core.quotes import quotes_get
from prop_firm import rules
from prop_firm.models import (
    PropFirmAccount,
)
from prop_firm.services.bulk import Marks, marks_write, snapshots_write
from prop_firm.services.day_start import (
    day_start_snapshots_take,
)
from prop_firm.services.rule_engine.checks import (
    account_check,
)
from prop_firm.services.rule_engine.snapshot import (
    ACTIVE,
    max_quote_age,
    rule_quotes,
    snapshot_interval,
    sweep_chunk_size,
)
from prop_firm.services.stages import PlanRulesCache
from prop_firm.services.trading_day import day_key

logger = logging.getLogger(__name__)


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
