"""Payout eligibility: the checks a payout request must pass and the trader's share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from alpacabackend.money import to_cents
from prop_firm.rules.objectives import (
    consistency_holds,
    consistency_share,
)
from prop_firm.rules.state import (
    _HUNDRED,
    _ZERO,
    ACTIVE,
    FUNDED,
    PAYOUT_CONSISTENCY,
    PAYOUT_FREQUENCY,
    PAYOUT_MIN_AMOUNT,
    PAYOUT_NO_OPEN_POSITIONS,
    PAYOUT_NO_PENDING_ORDERS,
    PAYOUT_NO_PENDING_PAYOUT,
    PAYOUT_PROFIT,
    PAYOUT_STAGE,
    PAYOUT_STATUS,
    AccountState,
    PlanRules,
    _pct,
    _require_aware,
    _usd,
)


@dataclass(frozen=True, slots=True)
class Check:
    rule: str
    label: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class PayoutEligibility:
    """What the payout eligibility endpoint shows. `profit` is P = B − B0 (exact),
    `trader_share` is P × split / 100 rounded half-even to cents (0 when P ≤ 0)."""

    eligible: bool
    checks: tuple[Check, ...]
    profit: Decimal
    trader_share: Decimal
    next_eligible_at: datetime | None


def trader_share(profit: Decimal, profit_split: Decimal) -> Decimal:
    """P × split / 100, half-even to cents; nothing is owed on a loss."""
    if profit <= 0:
        return to_cents(_ZERO)
    return to_cents(profit * profit_split / _HUNDRED)


def payout_checks(
    plan: PlanRules,
    state: AccountState,
    now: datetime,
    *,
    last_payout_at: datetime | None,
    first_funded_fill_at: datetime | None,
    profit_split: Decimal,
    min_payout_amount: Decimal,
    payout_frequency_days: int = 14,
    has_pending_payout: bool,
    open_positions: int,
    pending_orders: int,
) -> PayoutEligibility:
    """Every payout condition of RULES "Payouts", each with its own verdict.

    The waiting period counts from the last payout, or from the first funded fill when there
    was none yet (no funded fill: not eligible, `next_eligible_at` None). The minimum amount
    is compared with the share as it would be paid (rounded to cents). Consistency uses
    `state.daily_profits`, which the caller restricts to the days since the last payout.
    """
    _require_aware("now", now)
    profit = state.balance - plan.starting_balance
    share = trader_share(profit, profit_split)
    checks = [
        Check(
            PAYOUT_STATUS,
            "Account is active",
            state.status == ACTIVE,
            f"The account is {state.status.lower() or 'not active'}.",
        ),
        Check(
            PAYOUT_STAGE,
            "Account is funded",
            state.stage == FUNDED,
            "Payouts are paid from the funded stage."
            if state.stage == FUNDED
            else "Payouts are only paid from a funded account.",
        ),
        Check(
            PAYOUT_NO_OPEN_POSITIONS,
            "No open positions",
            open_positions == 0,
            "No position is open."
            if open_positions == 0
            else f"{open_positions} position(s) still open: close them first.",
        ),
        Check(
            PAYOUT_NO_PENDING_ORDERS,
            "No pending orders",
            pending_orders == 0,
            "No order is pending."
            if pending_orders == 0
            else f"{pending_orders} pending order(s): cancel them first.",
        ),
    ]

    since = last_payout_at or first_funded_fill_at
    if since is None:
        next_eligible_at = None
        checks.append(
            Check(
                PAYOUT_FREQUENCY,
                "Payout waiting period",
                False,
                "The waiting period starts with your first funded trade.",
            )
        )
    else:
        next_eligible_at = since + timedelta(days=payout_frequency_days)
        waited = now >= next_eligible_at
        start = "your last payout" if last_payout_at else "your first funded trade"
        checks.append(
            Check(
                PAYOUT_FREQUENCY,
                f"{payout_frequency_days} days since {start}",
                waited,
                f"Eligible since {next_eligible_at.isoformat()}."
                if waited
                else f"Eligible from {next_eligible_at.isoformat()}.",
            )
        )

    checks.append(
        Check(
            PAYOUT_PROFIT,
            "Profit above the starting balance",
            profit > 0,
            f"Profit {_usd(profit)}.",
        )
    )
    checks.append(
        Check(
            PAYOUT_MIN_AMOUNT,
            f"Your share is at least {_usd(min_payout_amount)}",
            share >= min_payout_amount,
            f"Your share would be {_usd(share)} ({profit_split}% of {_usd(max(profit, _ZERO))}).",
        )
    )
    if plan.consistency_pct is not None:
        holds = consistency_holds(state.daily_profits, plan.consistency_pct)
        best = consistency_share(state.daily_profits)
        checks.append(
            Check(
                PAYOUT_CONSISTENCY,
                f"Best day at most {_pct(plan.consistency_pct)} of the profit",
                holds,
                "No profit yet."
                if best is None
                else f"Your best day is {_pct(best)} of the profit.",
            )
        )
    checks.append(
        Check(
            PAYOUT_NO_PENDING_PAYOUT,
            "No other payout pending",
            not has_pending_payout,
            "Another payout of this account is pending."
            if has_pending_payout
            else "No other payout is pending.",
        )
    )
    return PayoutEligibility(
        eligible=all(c.ok for c in checks),
        checks=tuple(checks),
        profit=profit,
        trader_share=share,
        next_eligible_at=next_eligible_at,
    )
