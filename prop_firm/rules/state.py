"""The engine's vocabulary: rule codes, the state it reads, the verdicts it returns.

Inputs are plain slotted dataclasses validated on construction (Decimal money, aware datetimes),
so a sweep over thousands of accounts builds them cheaply and the arithmetic never meets a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from alpacabackend.money import to_cents
from paper_trading.positions import PositionState

LONG = "LONG"
SHORT = "SHORT"
DIRECTIONS = (LONG, SHORT)

ACTIVE = "ACTIVE"
EVALUATION = "EVALUATION"
FUNDED = "FUNDED"

BASIS_BALANCE = "balance"
BASIS_BALANCE_OR_EQUITY = "balance_or_equity"
DAILY_LOSS_BASES = (BASIS_BALANCE, BASIS_BALANCE_OR_EQUITY)

STATIC = "static"
TRAILING_EOD = "trailing_eod"
TRAILING_INTRADAY = "trailing_intraday"
DRAWDOWN_MODES = (STATIC, TRAILING_EOD, TRAILING_INTRADAY)

# Hard rules (violation types).
DAILY_LOSS = "DAILY_LOSS"
TOTAL_LOSS = "TOTAL_LOSS"
INACTIVITY = "INACTIVITY"
TIME_LIMIT = "TIME_LIMIT"

# Objectives.
PROFIT_TARGET = "PROFIT_TARGET"
MIN_TRADING_DAYS = "MIN_TRADING_DAYS"
CONSISTENCY = "CONSISTENCY"

# Soft-rule rejection codes.
POSITION_SIZE = "POSITION_SIZE"
BUYING_POWER = "BUYING_POWER"
ACCOUNT_NOT_TRADABLE = "ACCOUNT_NOT_TRADABLE"

# Payout checks.
PAYOUT_STATUS = "STATUS"
PAYOUT_STAGE = "STAGE"
PAYOUT_NO_OPEN_POSITIONS = "NO_OPEN_POSITIONS"
PAYOUT_NO_PENDING_ORDERS = "NO_PENDING_ORDERS"
PAYOUT_FREQUENCY = "PAYOUT_FREQUENCY"
PAYOUT_PROFIT = "PROFIT"
PAYOUT_MIN_AMOUNT = "MIN_PAYOUT_AMOUNT"
PAYOUT_CONSISTENCY = "CONSISTENCY"
PAYOUT_NO_PENDING_PAYOUT = "NO_PENDING_PAYOUT"

WARNING_USED_PCT = Decimal(80)
DEFAULT_MAX_QUOTE_AGE_SECONDS = 60

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_PCT = Decimal("0.01")


_NUMBER_TYPES = (Decimal, int)  # a tuple: `Decimal | int` built a new union on every call


def _require_number(name: str, value: object) -> None:
    if value.__class__ is Decimal:  # the common case, checked first (the sweep's hot path)
        return
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        raise TypeError(f"{name} must be a Decimal (got {type(value).__name__})")


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _usd(amount: Decimal) -> str:
    """A trader-facing amount: `$1,234.50`, `-$80.00`."""
    cents = to_cents(amount)
    return f"-${-cents:,}" if cents < 0 else f"${cents:,}"


def _pct(value: Decimal) -> str:
    return f"{to_cents(value)}%"


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanRules:
    """The rule parameters of one stage of a plan (amounts in account currency).

    `max_daily_loss` and `max_total_loss` are amounts (not percents) and must be positive;
    `max_position_size` and `consistency_pct` are percents; `profit_target` is None for the
    funded stage, which cannot be passed and has no time limit.
    """

    starting_balance: Decimal
    max_daily_loss: Decimal
    max_total_loss: Decimal
    profit_target: Decimal | None = None
    min_trading_days: int = 0
    max_position_size: Decimal = Decimal(100)
    max_leverage: Decimal = Decimal(1)
    daily_loss_basis: str = BASIS_BALANCE
    drawdown_mode: str = STATIC
    drawdown_lock_at_start: bool = True
    consistency_pct: Decimal | None = None
    max_inactive_days: int | None = 30
    max_stage_days: int | None = None

    def __post_init__(self) -> None:
        for name in (
            "starting_balance",
            "max_daily_loss",
            "max_total_loss",
            "max_position_size",
            "max_leverage",
        ):
            _require_number(name, getattr(self, name))
        for name in ("profit_target", "consistency_pct"):
            if getattr(self, name) is not None:
                _require_number(name, getattr(self, name))
        if self.max_daily_loss <= 0 or self.max_total_loss <= 0:
            raise ValueError("max_daily_loss and max_total_loss must be positive amounts")
        if self.daily_loss_basis not in DAILY_LOSS_BASES:
            raise ValueError(f"daily_loss_basis must be one of {DAILY_LOSS_BASES}")
        if self.drawdown_mode not in DRAWDOWN_MODES:
            raise ValueError(f"drawdown_mode must be one of {DRAWDOWN_MODES}")


@dataclass(frozen=True, slots=True)
class Quote:
    """The latest quote of a symbol; a missing or non-positive side counts as no quote."""

    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    timestamp: datetime

    def __post_init__(self) -> None:
        for name in ("bid", "ask", "last"):
            if getattr(self, name) is not None:
                _require_number(name, getattr(self, name))
        _require_aware("timestamp", self.timestamp)


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the engine needs to know about one account (one stage).

    `trading_day_keys` are the day keys (see `trading_day_key`) with at least one fill in
    this stage; `daily_profits` maps a day key to the realised profit of that day (for
    consistency: over the stage for objectives, since the last payout for payouts).
    `pending_order_notional` is the gross notional of the pending orders.

    A caller that keeps running totals instead of the history (the order path) gives
    `trading_day_count`, `realized_profit` (Σ of `daily_profits`) and `best_day_profit`
    (max of `daily_profits`, None without a closed trade); they then take the place of the
    two collections, with the same verdicts.
    """

    balance: Decimal
    sod_balance: Decimal
    sod_equity: Decimal
    eod_hwm: Decimal
    peak_equity: Decimal
    stage_started_at: datetime
    last_fill_at: datetime | None = None
    trading_day_keys: frozenset[date] = frozenset()
    daily_profits: Mapping[date, Decimal] = field(default_factory=dict)
    positions: tuple[PositionState, ...] = ()
    pending_order_notional: Decimal = _ZERO
    status: str = ACTIVE
    stage: str = EVALUATION
    trading_day_count: int | None = None
    realized_profit: Decimal | None = None
    best_day_profit: Decimal | None = None

    @property
    def days_traded(self) -> int:
        if self.trading_day_count is not None:
            return self.trading_day_count
        return len(self.trading_day_keys)

    def profit_totals(self) -> tuple[Decimal, Decimal | None]:
        """(Σ daily profits, best day's profit or None without a closed trade)."""
        if self.realized_profit is not None:
            return self.realized_profit, self.best_day_profit
        total = sum(self.daily_profits.values(), _ZERO)
        return total, max(self.daily_profits.values()) if self.daily_profits else None

    def __post_init__(self) -> None:
        for name in (
            "balance",
            "sod_balance",
            "sod_equity",
            "eod_hwm",
            "peak_equity",
            "pending_order_notional",
        ):
            _require_number(name, getattr(self, name))
        _require_aware("stage_started_at", self.stage_started_at)
        _require_aware("last_fill_at", self.last_fill_at)

    @classmethod
    def at_stage_start(
        cls,
        plan: PlanRules,
        *,
        started_at: datetime,
        stage: str = EVALUATION,
        status: str = ACTIVE,
    ) -> AccountState:
        """A new stage: SOD_B = SOD_E = EOD_HWM = PEAK_E = B = B0, no fill yet."""
        b0 = plan.starting_balance
        return cls(
            balance=b0,
            sod_balance=b0,
            sod_equity=b0,
            eod_hwm=b0,
            peak_equity=b0,
            stage_started_at=started_at,
            status=status,
            stage=stage,
        )


# --------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Breach:
    """A broken hard rule, with the inputs that broke it (what a RuleViolation stores).

    DAILY_LOSS / TOTAL_LOSS: threshold = the floor, actual = the equity, prices = the
    liquidation prices used by symbol. INACTIVITY / TIME_LIMIT: threshold = the limit in
    days, actual = the whole days elapsed, prices empty.
    """

    rule: str
    threshold: Decimal
    actual: Decimal
    prices: Mapping[str, Decimal]
    at: datetime
    description: str


@dataclass(frozen=True, slots=True)
class Objective:
    rule: str
    label: str
    target: Decimal | int
    current: Decimal | int | None
    met: bool


@dataclass(frozen=True, slots=True)
class LossWarning:
    """80% or more of a loss room used (named so as not to shadow the builtin `Warning`)."""

    rule: str
    used_pct: Decimal


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The verdict of `evaluate` for one account at one instant.

    `peak_equity` is the new PEAK_E to store (raised only with fresh prices).
    `stale` is True when an open position has no fresh quote: then no DAILY_LOSS or
    TOTAL_LOSS breach and no warning is reported (the numbers are still shown).
    """

    at: datetime
    balance: Decimal
    unrealized_pl: Decimal
    equity: Decimal
    prices: Mapping[str, Decimal]
    stale: bool
    stale_symbols: tuple[str, ...]
    flat: bool
    daily_loss_anchor: Decimal
    daily_loss_floor: Decimal
    max_loss_floor: Decimal
    daily_loss_room: Decimal
    max_loss_room: Decimal
    peak_equity: Decimal
    breaches: tuple[Breach, ...]
    objectives: tuple[Objective, ...]
    warnings: tuple[LossWarning, ...]
    passed: bool
    can_trade: bool

    @property
    def failed(self) -> bool:
        return bool(self.breaches)


@dataclass(frozen=True, slots=True)
class DayStartMarks:
    sod_balance: Decimal
    sod_equity: Decimal
    eod_hwm: Decimal
