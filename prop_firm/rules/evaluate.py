"""`evaluate`: one account's floors, breaches, objectives and warnings at `now`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from prop_firm.rules.floors import (
    daily_loss_anchor,
    max_loss_floor,
)
from prop_firm.rules.marking import (
    _mark,
)
from prop_firm.rules.objectives import (
    _objectives,
)
from prop_firm.rules.state import (
    _HUNDRED,
    _PCT,
    ACTIVE,
    DAILY_LOSS,
    DEFAULT_MAX_QUOTE_AGE_SECONDS,
    INACTIVITY,
    TIME_LIMIT,
    TOTAL_LOSS,
    AccountState,
    Breach,
    Evaluation,
    LossWarning,
    PlanRules,
    Quote,
    _require_aware,
    _usd,
)


def _used_pct(room: Decimal, limit: Decimal) -> Decimal:
    return ((limit - room) * _HUNDRED / limit).quantize(_PCT)


def evaluate(
    plan: PlanRules,
    state: AccountState,
    quotes: Mapping[str, Quote],
    now: datetime,
    max_quote_age_seconds: int = DEFAULT_MAX_QUOTE_AGE_SECONDS,
) -> Evaluation:
    """Judge one account at `now` (RULES hard rules, objectives and warnings).

    - E = B + U, U marked at liquidation prices (`_mark`); a quote older than
      `max_quote_age_seconds`, or missing, makes the evaluation `stale`: no DAILY_LOSS or
      TOTAL_LOSS breach, no warning, and PEAK_E is not raised. INACTIVITY and TIME_LIMIT
      do not depend on prices and are judged anyway.
    - PEAK_E is raised to E (with fresh prices) before the trailing_intraday floor is taken.
    - INACTIVITY: `max_inactive_days` × 24 h elapsed since the last fill (or since the stage
      started, when there was none).
    - TIME_LIMIT: `max_stage_days` × 24 h after the stage started and B − B0 still below the
      profit target (stages without a target have no time limit).
    - Warnings: "room used" = 1 − room / limit, i.e. (A − E) / max_daily_loss for the daily
      rule and (F_t + max_total_loss − E) / max_total_loss for the maximum loss rule (the
      level the floor hangs from: B0, max(B0, EOD_HWM), PEAK_E, or B0 + L once locked).
      One warning per rule at 80% or more, unless that rule is breached.
    - `passed`: a stage with a profit target, status ACTIVE, flat, every objective met,
      no breach. `can_trade`: status ACTIVE, no breach, and E above both floors.
    Breaches are reported whatever the status; the caller acts only on ACTIVE accounts.
    """
    _require_aware("now", now)
    max_age = timedelta(seconds=max_quote_age_seconds)
    positions = state.positions
    u, prices, stale_symbols = _mark(positions, quotes, now, max_age)
    stale = bool(stale_symbols)
    balance = state.balance
    equity = balance + u
    flat = not positions

    peak = state.peak_equity
    if not stale and equity > peak:
        peak = equity

    anchor = daily_loss_anchor(plan, sod_balance=state.sod_balance, sod_equity=state.sod_equity)
    f_d = anchor - plan.max_daily_loss
    f_t = max_loss_floor(plan, eod_hwm=state.eod_hwm, peak_equity=peak)
    room_d = equity - f_d
    room_t = equity - f_t

    breaches: list[Breach] = []
    warnings: list[LossWarning] = []
    if not stale:
        if equity < f_d:
            breaches.append(
                Breach(
                    rule=DAILY_LOSS,
                    threshold=f_d,
                    actual=equity,
                    prices=prices,
                    at=now,
                    description=(
                        f"Equity {_usd(equity)} fell below the daily loss floor of "
                        f"{_usd(f_d)} (start of day {_usd(anchor)} minus the "
                        f"{_usd(plan.max_daily_loss)} daily loss limit)."
                    ),
                )
            )
        elif room_d * 5 <= plan.max_daily_loss:
            warnings.append(LossWarning(DAILY_LOSS, _used_pct(room_d, plan.max_daily_loss)))
        if equity < f_t:
            breaches.append(
                Breach(
                    rule=TOTAL_LOSS,
                    threshold=f_t,
                    actual=equity,
                    prices=prices,
                    at=now,
                    description=(
                        f"Equity {_usd(equity)} fell below the maximum loss floor of {_usd(f_t)}."
                    ),
                )
            )
        elif room_t * 5 <= plan.max_total_loss:
            warnings.append(LossWarning(TOTAL_LOSS, _used_pct(room_t, plan.max_total_loss)))

    if plan.max_inactive_days is not None:
        since = state.last_fill_at or state.stage_started_at
        idle = now - since
        if idle >= timedelta(days=plan.max_inactive_days):
            what = "the last fill" if state.last_fill_at else "the stage started"
            breaches.append(
                Breach(
                    rule=INACTIVITY,
                    threshold=Decimal(plan.max_inactive_days),
                    actual=Decimal(idle.days),
                    prices={},
                    at=now,
                    description=(
                        f"No fill for {idle.days} days since {what} "
                        f"(the limit is {plan.max_inactive_days} days)."
                    ),
                )
            )

    profit = balance - plan.starting_balance
    if plan.max_stage_days is not None and plan.profit_target is not None:
        elapsed = now - state.stage_started_at
        if elapsed >= timedelta(days=plan.max_stage_days) and profit < plan.profit_target:
            breaches.append(
                Breach(
                    rule=TIME_LIMIT,
                    threshold=Decimal(plan.max_stage_days),
                    actual=Decimal(elapsed.days),
                    prices={},
                    at=now,
                    description=(
                        f"The profit target of {_usd(plan.profit_target)} was not "
                        f"reached within {plan.max_stage_days} days (profit "
                        f"{_usd(profit)})."
                    ),
                )
            )

    objectives = _objectives(plan, state, flat)
    active = state.status == ACTIVE
    passed = (
        plan.profit_target is not None
        and active
        and flat
        and not breaches
        and all(o.met for o in objectives)
    )
    return Evaluation(
        at=now,
        balance=balance,
        unrealized_pl=u,
        equity=equity,
        prices=prices,
        stale=stale,
        stale_symbols=stale_symbols,
        flat=flat,
        daily_loss_anchor=anchor,
        daily_loss_floor=f_d,
        max_loss_floor=f_t,
        daily_loss_room=room_d,
        max_loss_room=room_t,
        peak_equity=peak,
        breaches=tuple(breaches),
        objectives=objectives,
        warnings=tuple(warnings),
        passed=passed,
        can_trade=active and not breaches and room_d > 0 and room_t > 0,
    )
