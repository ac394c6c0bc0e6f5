"""The floors: the daily-loss floor from its anchor, the maximum-loss floor from the marks.

The maximum-loss floor is derived from B0, EOD_HWM and PEAK_E and non-decreasing in each,
so it never decreases by construction (see the package docstring).
"""

from __future__ import annotations

from decimal import Decimal

from prop_firm.rules.state import (
    BASIS_BALANCE_OR_EQUITY,
    STATIC,
    TRAILING_EOD,
    PlanRules,
)


def daily_loss_anchor(plan: PlanRules, *, sod_balance: Decimal, sod_equity: Decimal) -> Decimal:
    """A: SOD_B, or max(SOD_B, SOD_E) when the plan's basis is `balance_or_equity`."""
    if plan.daily_loss_basis == BASIS_BALANCE_OR_EQUITY and sod_equity > sod_balance:
        return sod_equity
    return sod_balance


def daily_loss_floor(plan: PlanRules, *, sod_balance: Decimal, sod_equity: Decimal) -> Decimal:
    """F_d = A − max_daily_loss. Breach when E < F_d."""
    anchor = daily_loss_anchor(plan, sod_balance=sod_balance, sod_equity=sod_equity)
    return anchor - plan.max_daily_loss


def max_loss_floor(plan: PlanRules, *, eod_hwm: Decimal, peak_equity: Decimal) -> Decimal:
    """F_t for the plan's drawdown mode. Breach when E < F_t.

    static: B0 − L; trailing_eod: max(B0, EOD_HWM) − L; trailing_intraday: PEAK_E − L;
    with `drawdown_lock_at_start` a trailing floor stops rising at B0.
    Derived from the marks, never stored: as EOD_HWM and PEAK_E only rise and this is
    non-decreasing in both, the floor never decreases.
    """
    b0 = plan.starting_balance
    mode = plan.drawdown_mode
    if mode == STATIC:
        return b0 - plan.max_total_loss
    if mode == TRAILING_EOD:
        floor = (eod_hwm if eod_hwm > b0 else b0) - plan.max_total_loss
    else:
        floor = peak_equity - plan.max_total_loss
    if plan.drawdown_lock_at_start and floor > b0:
        return b0
    return floor
