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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

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


# --------------------------------------------------------------------------------------
# The trading day
# --------------------------------------------------------------------------------------


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _repeated(wall: datetime) -> bool:
    """The wall time occurs twice (clocks go back): its first occurrence has the larger offset."""
    return wall.utcoffset() > wall.replace(fold=1).utcoffset()


def _skipped(wall: datetime) -> bool:
    """The wall time does not exist (clocks go forward)."""
    return wall.utcoffset() < wall.replace(fold=1).utcoffset()


def trading_day_key(instant: datetime, tz: tzinfo | str, reset_time: time) -> date:
    """The trading day an instant belongs to: its date in `tz`, plus one day when the local
    time is at or after `reset_time` (RULES "The trading day").

    Where the reset wall time falls in a repeated hour (clocks going back), the day changes
    at its first occurrence and the repeated hour already belongs to the new day, so the key
    never goes backwards; where it falls in a skipped hour, the day changes at the jump.
    """
    _require_aware("instant", instant)
    reset_time = reset_time.replace(fold=0)  # a configured wall time: PEP 495's fold is moot
    local = instant.astimezone(_zone(tz))
    day = local.date()
    if local.time() >= reset_time:
        return day + timedelta(days=1)
    if local.fold and _repeated(datetime.combine(day, reset_time, tzinfo=local.tzinfo)):
        return day + timedelta(days=1)
    return day


def next_reset_at(instant: datetime, tz: tzinfo | str, reset_time: time) -> datetime:
    """The next instant (strictly after `instant`) at which the day key changes, in UTC.

    It is `reset_time` on the date of the current day key, as a wall time in `tz`: with a
    17:00 New York reset the trading day that holds the March change lasts 23 h and the one
    that holds the November change 25 h. Returned in UTC because an aware datetime in a
    repeated wall hour never compares equal to one in another zone (PEP 495).
    """
    zone = _zone(tz)
    reset_time = reset_time.replace(fold=0)
    key = trading_day_key(instant, zone, reset_time)
    wall = datetime.combine(key, reset_time, tzinfo=zone)
    if _skipped(wall):
        return _transition(wall.replace(fold=1), wall, zone)
    return wall.astimezone(UTC)


def _transition(before: datetime, after: datetime, zone: tzinfo) -> datetime:
    """The instant (UTC) the offset of `zone` changes between two instants, to the second."""
    # Whole seconds at both ends, so that the halving below always makes progress.
    lo = before.astimezone(UTC).replace(microsecond=0)
    hi = after.astimezone(UTC)
    if hi.microsecond:
        hi = hi.replace(microsecond=0) + timedelta(seconds=1)
    offset_after = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = (lo + (hi - lo) // 2).replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == offset_after:
            hi = mid
        else:
            lo = mid
    return hi


def day_start_marks(*, balance: Decimal, equity: Decimal, eod_hwm: Decimal) -> DayStartMarks:
    """The snapshot taken at a daily reset: SOD_B = B, SOD_E = E, EOD_HWM raised to B.

    The caller passes B and E as of the reset instant (the snapshot belongs to the day key,
    not to the time the task ran).
    """
    return DayStartMarks(
        sod_balance=balance, sod_equity=equity, eod_hwm=balance if balance > eod_hwm else eod_hwm
    )


# --------------------------------------------------------------------------------------
# Marking
# --------------------------------------------------------------------------------------


class NoPrice(LookupError):
    """A position has no usable quote (no bid/ask for its side and no last)."""

    def __init__(self, symbol: str) -> None:
        super().__init__(f"No price for {symbol}.")
        self.symbol = symbol


def liquidation_price(position: PositionState, quote: Quote | None) -> Decimal | None:
    """The price a position would close at: bid for a long, ask for a short, else last."""
    if quote is None:
        return None
    side = quote.bid if position.direction == LONG else quote.ask
    if side is not None and side > 0:
        return side
    if quote.last is not None and quote.last > 0:
        return quote.last
    return None


def position_pl(position: PositionState, price: Decimal) -> Decimal:
    if position.direction == LONG:
        return (price - position.entry_price) * position.quantity
    return (position.entry_price - price) * position.quantity


def unrealized_pl(positions: Iterable[PositionState], quotes: Mapping[str, Quote]) -> Decimal:
    """U: the positions marked at their liquidation prices. Raises `NoPrice`."""
    total = _ZERO
    for position in positions:
        price = liquidation_price(position, quotes.get(position.symbol))
        if price is None:
            raise NoPrice(position.symbol)
        total += position_pl(position, price)
    return total


def _mark(
    positions: tuple[PositionState, ...],
    quotes: Mapping[str, Quote],
    now: datetime | None,
    max_age: timedelta | None,
) -> tuple[Decimal, dict[str, Decimal], tuple[str, ...]]:
    """U, the prices used, and the symbols whose price is stale or missing.

    A position without any usable price is marked at its entry price (it adds nothing to U)
    and counts as stale, so it can be shown but never fails the account.
    """
    total = _ZERO
    prices: dict[str, Decimal] = {}
    stale: list[str] = []
    for position in positions:
        quote = quotes.get(position.symbol)
        price = liquidation_price(position, quote)
        if price is None:
            price = position.entry_price
            if position.symbol not in stale:
                stale.append(position.symbol)
        elif (
            max_age is not None and now - quote.timestamp > max_age and position.symbol not in stale
        ):
            stale.append(position.symbol)
        # A long and a short of one symbol are marked at different sides; the prices shown
        # are those of the first position of each symbol.
        prices.setdefault(position.symbol, price)
        total += position_pl(position, price)
    return total, prices, tuple(stale)


# --------------------------------------------------------------------------------------
# Floors
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Objectives
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Pre-trade soft rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Order:
    """An order to check. `price` is the server's estimate of the fill price.

    `reduces_position` is True for an order that closes or reduces an existing position:
    such an order lowers the risk, so neither size, leverage nor loss room rejects it.
    """

    symbol: str
    direction: str
    quantity: Decimal
    price: Decimal
    reduces_position: bool = False

    def __post_init__(self) -> None:
        _require_number("quantity", self.quantity)
        _require_number("price", self.price)
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be LONG or SHORT (got {self.direction!r})")
        if self.quantity <= 0 or self.price <= 0:
            raise ValueError("quantity and price must be positive")


@dataclass(frozen=True, slots=True)
class Rejection:
    code: str
    message: str


def check_order(
    plan: PlanRules, state: AccountState, quotes: Mapping[str, Quote], order: Order
) -> Rejection | None:
    """The soft rules of RULES.md (5 to 7) for one order; None when it may go ahead.

    E is marked at the liquidation prices (stale or not: freshness is the order service's
    NO_PRICE / MARKET_CLOSED concern). Checked in order:
    - ACCOUNT_NOT_TRADABLE: status not ACTIVE (every order), or E at or below a floor
      (orders that open or add; a reducing order is let through, it lowers the risk);
    - POSITION_SIZE: (quantity already held in that symbol and direction + the order's) ×
      the order's price ≤ max_position_size% × E;
    - BUYING_POWER: Σ |open positions| × their liquidation price + pending order notional +
      the order's notional ≤ max_leverage × E.
    """
    if state.status != ACTIVE:
        return Rejection(
            ACCOUNT_NOT_TRADABLE,
            f"This account is {state.status.lower() or 'not active'} and cannot place orders.",
        )
    u, _, _ = _mark(state.positions, quotes, None, None)
    equity = state.balance + u
    if order.reduces_position:
        return None

    f_d = daily_loss_floor(plan, sod_balance=state.sod_balance, sod_equity=state.sod_equity)
    f_t = max_loss_floor(plan, eod_hwm=state.eod_hwm, peak_equity=state.peak_equity)
    for floor, name in ((f_d, "daily loss floor"), (f_t, "maximum loss floor")):
        if equity <= floor:
            return Rejection(
                ACCOUNT_NOT_TRADABLE,
                f"Your equity of {_usd(equity)} is at or below your {name} of "
                f"{_usd(floor)}, so no new position can be opened; you can still close "
                "positions.",
            )

    held = sum(
        (
            p.quantity
            for p in state.positions
            if p.symbol == order.symbol and p.direction == order.direction
        ),
        _ZERO,
    )
    position_notional = (held + order.quantity) * order.price
    size_limit = plan.max_position_size * equity / _HUNDRED
    if position_notional * _HUNDRED > plan.max_position_size * equity:
        return Rejection(
            POSITION_SIZE,
            f"After this order your {order.symbol} position would be worth "
            f"{_usd(position_notional)}, above the {_pct(plan.max_position_size)} of your "
            f"equity ({_usd(size_limit)}) that one position may use.",
        )

    gross = sum(
        (
            p.quantity * (liquidation_price(p, quotes.get(p.symbol)) or p.entry_price)
            for p in state.positions
        ),
        _ZERO,
    )
    total = gross + state.pending_order_notional + order.quantity * order.price
    buying_power = plan.max_leverage * equity
    if total > buying_power:
        return Rejection(
            BUYING_POWER,
            f"This order would bring your open positions and pending orders to "
            f"{_usd(total)}, above your buying power of {_usd(buying_power)} "
            f"({plan.max_leverage}× your equity of {_usd(equity)}).",
        )
    return None


# --------------------------------------------------------------------------------------
# Payouts
# --------------------------------------------------------------------------------------


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
