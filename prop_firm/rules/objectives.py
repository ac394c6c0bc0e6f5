"""The objectives of an evaluation stage: profit target, minimum trading days, consistency."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from prop_firm.rules.state import (
    _HUNDRED,
    _PCT,
    _ZERO,
    CONSISTENCY,
    MIN_TRADING_DAYS,
    PROFIT_TARGET,
    AccountState,
    Objective,
    PlanRules,
)


def consistency_share(daily_profits: Mapping[date, Decimal]) -> Decimal | None:
    """The best day's profit as a percent of the total (sum of the days), or None when the
    total is not positive. Rounded to 0.01 for display; `consistency_holds` is exact."""
    total = sum(daily_profits.values(), _ZERO)
    best = max(daily_profits.values()) if daily_profits else None
    return _consistency_share(total, best)


def _consistency_share(total: Decimal, best: Decimal | None) -> Decimal | None:
    if total <= 0 or best is None:
        return None
    return (best * _HUNDRED / total).quantize(_PCT)


def consistency_holds(daily_profits: Mapping[date, Decimal], pct: Decimal) -> bool:
    """Best day's profit ≤ pct% of the total profit. Without a positive total it does not
    hold: there is no profit to be consistent about."""
    total = sum(daily_profits.values(), _ZERO)
    best = max(daily_profits.values()) if daily_profits else None
    return _consistency_holds(total, best, pct)


def _consistency_holds(total: Decimal, best: Decimal | None, pct: Decimal) -> bool:
    if total <= 0 or best is None:
        return False
    return best * _HUNDRED <= pct * total


def _objectives(plan: PlanRules, state: AccountState, flat: bool) -> tuple[Objective, ...]:
    objectives = []
    if plan.profit_target is not None:
        profit = state.balance - plan.starting_balance
        objectives.append(
            Objective(
                rule=PROFIT_TARGET,
                label="Profit target (on closed trades; all positions closed)",
                target=plan.profit_target,
                current=profit,
                met=flat and profit >= plan.profit_target,
            )
        )
    if plan.profit_target is not None or plan.min_trading_days > 0:
        days = state.days_traded
        objectives.append(
            Objective(
                rule=MIN_TRADING_DAYS,
                label="Minimum trading days",
                target=plan.min_trading_days,
                current=days,
                met=days >= plan.min_trading_days,
            )
        )
    if plan.consistency_pct is not None:
        total, best = state.profit_totals()
        objectives.append(
            Objective(
                rule=CONSISTENCY,
                label="Best day at most this percent of the total profit",
                target=plan.consistency_pct,
                current=_consistency_share(total, best),
                met=_consistency_holds(total, best, plan.consistency_pct),
            )
        )
    return tuple(objectives)
