"""The pure rule engine of RULES.md: dataclasses in, verdicts out.

No Django, no ORM, no clock reads (``now`` is always an argument), no floats on money.
Everything is exact `Decimal` arithmetic; rounding to cents happens only in the sentences
written for traders (and in the payout share, which is an amount to be stored).

Used by the set-based sweep over every active account (so the inputs are plain slotted
dataclasses and one `evaluate` call is a handful of Decimal operations), by the pre-trade
checks of orders (`check_order`), by the account detail API and by payout eligibility
(`payout_checks`).

Marks and floors
----------------
The maximum-loss floor is *derived from the marks* (B0, EOD_HWM, PEAK_E), never stored
on its own: EOD_HWM and PEAK_E are high-water marks that only rise, and `max_loss_floor`
is non-decreasing in each of them, so the floor never decreases by construction.
`evaluate` returns the raised PEAK_E (raised only with fresh prices) and
`day_start_marks` the raised EOD_HWM at a reset; the caller stores them.
"""

from __future__ import annotations

from paper_trading.positions import PositionState
from prop_firm.rules.evaluate import (
    evaluate,
)
from prop_firm.rules.floors import (
    daily_loss_anchor,
    daily_loss_floor,
    max_loss_floor,
)
from prop_firm.rules.marking import (
    NoPrice,
    liquidation_price,
    position_pl,
    unrealized_pl,
)
from prop_firm.rules.objectives import (
    consistency_holds,
    consistency_share,
)
from prop_firm.rules.orders import (
    Order,
    Rejection,
    check_order,
)
from prop_firm.rules.payouts import (
    Check,
    PayoutEligibility,
    payout_checks,
    trader_share,
)
from prop_firm.rules.state import (
    ACCOUNT_NOT_TRADABLE,
    ACTIVE,
    BASIS_BALANCE,
    BASIS_BALANCE_OR_EQUITY,
    BUYING_POWER,
    CONSISTENCY,
    DAILY_LOSS,
    DAILY_LOSS_BASES,
    DEFAULT_MAX_QUOTE_AGE_SECONDS,
    DIRECTIONS,
    DRAWDOWN_MODES,
    EVALUATION,
    FUNDED,
    INACTIVITY,
    LONG,
    MIN_TRADING_DAYS,
    PAYOUT_CONSISTENCY,
    PAYOUT_FREQUENCY,
    PAYOUT_MIN_AMOUNT,
    PAYOUT_NO_OPEN_POSITIONS,
    PAYOUT_NO_PENDING_ORDERS,
    PAYOUT_NO_PENDING_PAYOUT,
    PAYOUT_PROFIT,
    PAYOUT_STAGE,
    PAYOUT_STATUS,
    POSITION_SIZE,
    PROFIT_TARGET,
    SHORT,
    STATIC,
    TIME_LIMIT,
    TOTAL_LOSS,
    TRAILING_EOD,
    TRAILING_INTRADAY,
    WARNING_USED_PCT,
    AccountState,
    Breach,
    DayStartMarks,
    Evaluation,
    LossWarning,
    Objective,
    PlanRules,
    Quote,
)
from prop_firm.rules.trading_day import (
    day_start_marks,
    next_reset_at,
    trading_day_key,
)

__all__ = [
    "ACCOUNT_NOT_TRADABLE",
    "ACTIVE",
    "BASIS_BALANCE",
    "BASIS_BALANCE_OR_EQUITY",
    "BUYING_POWER",
    "CONSISTENCY",
    "DAILY_LOSS",
    "DAILY_LOSS_BASES",
    "DEFAULT_MAX_QUOTE_AGE_SECONDS",
    "DIRECTIONS",
    "DRAWDOWN_MODES",
    "EVALUATION",
    "FUNDED",
    "INACTIVITY",
    "LONG",
    "MIN_TRADING_DAYS",
    "PAYOUT_CONSISTENCY",
    "PAYOUT_FREQUENCY",
    "PAYOUT_MIN_AMOUNT",
    "PAYOUT_NO_OPEN_POSITIONS",
    "PAYOUT_NO_PENDING_ORDERS",
    "PAYOUT_NO_PENDING_PAYOUT",
    "PAYOUT_PROFIT",
    "PAYOUT_STAGE",
    "PAYOUT_STATUS",
    "POSITION_SIZE",
    "PROFIT_TARGET",
    "SHORT",
    "STATIC",
    "TIME_LIMIT",
    "TOTAL_LOSS",
    "TRAILING_EOD",
    "TRAILING_INTRADAY",
    "WARNING_USED_PCT",
    "AccountState",
    "Breach",
    "Check",
    "DayStartMarks",
    "Evaluation",
    "LossWarning",
    "NoPrice",
    "Objective",
    "Order",
    "PayoutEligibility",
    "PlanRules",
    "PositionState",
    "Quote",
    "Rejection",
    "check_order",
    "consistency_holds",
    "consistency_share",
    "daily_loss_anchor",
    "daily_loss_floor",
    "day_start_marks",
    "evaluate",
    "liquidation_price",
    "max_loss_floor",
    "next_reset_at",
    "payout_checks",
    "position_pl",
    "trader_share",
    "trading_day_key",
    "unrealized_pl",
]
