"""Property tests of the rule engine over random price paths and trade sequences.

Each path starts a stage at B0 = 100,000.00 and applies random steps: price moves, fills
that open or close positions (1.00 commission per fill), daily resets, and evaluations
with fresh or stale quotes. The reference below is written plainly, apart from the engine.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from prop_firm.rules import (
    AccountState,
    PlanRules,
    PositionState,
    Quote,
    day_start_marks,
    evaluate,
    next_reset_at,
    trading_day_key,
)

D = Decimal
B0 = D("100000.00")
COMMISSION = D("1.00")
SPREAD = D("0.01")
START = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
MAX_AGE = 60
SYMBOLS = ("AAPL", "BTCUSD")
FAST = settings(max_examples=200, deadline=None, database=None)


# --- strategies ------------------------------------------------------------------------

plans = st.builds(
    PlanRules,
    starting_balance=st.just(B0),
    max_daily_loss=st.sampled_from([100, 500, 2500, 5000]).map(D),
    max_total_loss=st.sampled_from([100, 250, 1000, 5000, 12000]).map(D),
    profit_target=st.sampled_from([None, D("3000.00"), D("8000.00")]),
    min_trading_days=st.just(0),
    daily_loss_basis=st.sampled_from(["balance", "balance_or_equity"]),
    drawdown_mode=st.sampled_from(["static", "trailing_eod", "trailing_intraday"]),
    drawdown_lock_at_start=st.booleans(),
    max_inactive_days=st.just(None),
)

quantities = st.one_of(
    st.integers(1, 40).map(D),
    st.integers(1, 40_000_000).map(lambda n: D(n).scaleb(-6)),  # 0.000001 .. 40
)

moves = st.tuples(st.just("move"), st.sampled_from(SYMBOLS), st.integers(-20000, 20000))
steps = st.one_of(
    moves,
    moves,
    st.tuples(
        st.just("open"), st.sampled_from(SYMBOLS), st.sampled_from(["LONG", "SHORT"]), quantities
    ),
    st.tuples(st.just("close"), st.integers(0, 7)),
    st.tuples(
        st.just("reset"),
    ),
)
fresh = st.sampled_from([True, True, True, False])  # False: every quote is stale
paths = st.lists(st.tuples(steps, fresh), min_size=8, max_size=40)


# --- the market and the account, simulated plainly -------------------------------------


@dataclass
class Market:
    mids: dict = field(default_factory=lambda: {"AAPL": D("180.00"), "BTCUSD": D("600.00")})

    def move(self, symbol: str, cents: int) -> None:
        self.mids[symbol] = max(D("1.00"), self.mids[symbol] + D(cents).scaleb(-2))

    def bid(self, symbol):
        return self.mids[symbol] - SPREAD

    def ask(self, symbol):
        return self.mids[symbol] + SPREAD

    def quotes(self, now: datetime, fresh: bool) -> dict:
        stamp = now if fresh else now - timedelta(seconds=MAX_AGE + 1)
        return {s: Quote(self.bid(s), self.ask(s), self.mids[s], stamp) for s in self.mids}


@dataclass
class Reference:
    """The account as a trader would keep it on paper."""

    plan: PlanRules
    balance: Decimal = B0
    positions: list = field(default_factory=list)  # [symbol, direction, quantity, entry]
    sod_balance: Decimal = B0
    sod_equity: Decimal = B0
    eod_hwm: Decimal = B0
    peak_equity: Decimal = B0

    def unrealized(self, market: Market) -> Decimal:
        total = D(0)
        for symbol, direction, quantity, entry in self.positions:
            if direction == "LONG":
                total += (market.bid(symbol) - entry) * quantity
            else:
                total += (entry - market.ask(symbol)) * quantity
        return total

    def apply(self, step, market: Market) -> None:
        kind = step[0]
        if kind == "move":
            market.move(step[1], step[2])
        elif kind == "open":
            _, symbol, direction, quantity = step
            price = market.ask(symbol) if direction == "LONG" else market.bid(symbol)
            self.positions.append([symbol, direction, quantity, price])
            self.balance -= COMMISSION
        elif kind == "close" and self.positions:
            symbol, direction, quantity, entry = self.positions.pop(step[1] % len(self.positions))
            if direction == "LONG":
                realised = (market.bid(symbol) - entry) * quantity
            else:
                realised = (entry - market.ask(symbol)) * quantity
            self.balance += realised - COMMISSION
        elif kind == "reset":
            self.sod_balance = self.balance
            self.sod_equity = self.balance + self.unrealized(market)
            self.eod_hwm = max(self.eod_hwm, self.balance)

    def verdict(self, market: Market, fresh: bool) -> dict:
        """Floors and breaches by RULES.md, then the raised PEAK_E is kept."""
        plan = self.plan
        equity = self.balance + self.unrealized(market)
        stale = bool(self.positions) and not fresh
        if not stale:
            self.peak_equity = max(self.peak_equity, equity)
        if plan.daily_loss_basis == "balance":
            anchor = self.sod_balance
        else:
            anchor = max(self.sod_balance, self.sod_equity)
        daily_floor = anchor - plan.max_daily_loss
        if plan.drawdown_mode == "static":
            max_floor = B0 - plan.max_total_loss
        else:
            if plan.drawdown_mode == "trailing_eod":
                max_floor = max(B0, self.eod_hwm) - plan.max_total_loss
            else:
                max_floor = self.peak_equity - plan.max_total_loss
            if plan.drawdown_lock_at_start:
                max_floor = min(max_floor, B0)
        breaches = []
        if not stale and equity < daily_floor:
            breaches.append("DAILY_LOSS")
        if not stale and equity < max_floor:
            breaches.append("TOTAL_LOSS")
        # Room used: how far E is below the level each floor hangs from, over the limit.
        warnings = []
        daily_used = (anchor - equity) / plan.max_daily_loss * 100
        if not stale and "DAILY_LOSS" not in breaches and daily_used >= 80:
            warnings.append(("DAILY_LOSS", daily_used.quantize(D("0.01"))))
        max_used = (max_floor + plan.max_total_loss - equity) / plan.max_total_loss * 100
        if not stale and "TOTAL_LOSS" not in breaches and max_used >= 80:
            warnings.append(("TOTAL_LOSS", max_used.quantize(D("0.01"))))
        passed = (
            plan.profit_target is not None
            and not self.positions
            and self.balance - B0 >= plan.profit_target
            and not breaches
        )
        return {
            "equity": equity,
            "daily_loss_floor": daily_floor,
            "max_loss_floor": max_floor,
            "peak_equity": self.peak_equity,
            "breaches": breaches,
            "warnings": warnings,
            "stale": stale,
            "passed": passed,
        }

    def state(self) -> AccountState:
        return AccountState(
            balance=self.balance,
            sod_balance=self.sod_balance,
            sod_equity=self.sod_equity,
            eod_hwm=self.eod_hwm,
            peak_equity=self.peak_equity,
            stage_started_at=START,
            last_fill_at=None,
            positions=tuple(PositionState(*p) for p in self.positions),
        )


def engine_verdict(result) -> dict:
    return {
        "equity": result.equity,
        "daily_loss_floor": result.daily_loss_floor,
        "max_loss_floor": result.max_loss_floor,
        "peak_equity": result.peak_equity,
        "breaches": [b.rule for b in result.breaches],
        "warnings": [(w.rule, w.used_pct) for w in result.warnings],
        "stale": result.stale,
        "passed": result.passed,
    }


# --- properties ------------------------------------------------------------------------


@FAST
@given(plan=plans, path=paths)
def test_the_max_loss_floor_never_decreases_over_a_path(plan, path):
    # The engine's own marks are fed back: PEAK_E from evaluate, EOD_HWM from the resets.
    market, account = Market(), Reference(plan)
    state = account.state()
    previous = None
    for minute, (step, fresh) in enumerate(path):
        now = START + timedelta(minutes=minute)
        account.apply(step, market)
        state = replace(
            account.state(),
            sod_balance=state.sod_balance,
            sod_equity=state.sod_equity,
            eod_hwm=state.eod_hwm,
            peak_equity=state.peak_equity,
        )
        result = evaluate(plan, state, market.quotes(now, fresh), now, MAX_AGE)
        if step[0] == "reset":
            marks = day_start_marks(
                balance=state.balance, equity=result.equity, eod_hwm=state.eod_hwm
            )
            state = replace(
                state,
                sod_balance=marks.sod_balance,
                sod_equity=marks.sod_equity,
                eod_hwm=marks.eod_hwm,
            )
            result = evaluate(plan, state, market.quotes(now, fresh), now, MAX_AGE)
        state = replace(state, peak_equity=result.peak_equity)
        if previous is not None:
            assert result.max_loss_floor >= previous
        previous = result.max_loss_floor


@FAST
@given(plan=plans, path=paths)
def test_the_engine_agrees_with_a_plain_reference_computation(plan, path):
    market, account = Market(), Reference(plan)
    for minute, (step, fresh) in enumerate(path):
        now = START + timedelta(minutes=minute)
        account.apply(step, market)
        state = account.state()  # the marks before this evaluation
        expected = account.verdict(market, fresh)
        result = evaluate(plan, state, market.quotes(now, fresh), now, MAX_AGE)
        assert engine_verdict(result) == expected
        assert result.daily_loss_room == expected["equity"] - expected["daily_loss_floor"]
        assert result.max_loss_room == expected["equity"] - expected["max_loss_floor"]


@FAST
@given(plan=plans, path=paths)
def test_evaluating_the_same_state_twice_gives_the_same_result(plan, path):
    market, account = Market(), Reference(plan)
    for minute, (step, fresh) in enumerate(path):
        now = START + timedelta(minutes=minute)
        account.apply(step, market)
        state, quotes = account.state(), market.quotes(now, fresh)
        first = evaluate(plan, state, quotes, now, MAX_AGE)
        assert evaluate(plan, state, quotes, now, MAX_AGE) == first
        # Storing the new PEAK_E and judging again records nothing new.
        stored = replace(state, peak_equity=first.peak_equity)
        assert evaluate(plan, stored, quotes, now, MAX_AGE) == first
        account.verdict(market, fresh)  # keep the reference's PEAK_E moving along the path


ZONES = [
    ZoneInfo(name)
    for name in (
        "America/New_York",
        "Europe/London",
        "Australia/Sydney",
        "Asia/Tokyo",
        "UTC",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
    )
]


@FAST
@given(
    instant=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    reset=st.times(),
)
def test_next_reset_at_is_the_instant_the_day_key_moves_on(instant, zone, reset):
    key = trading_day_key(instant, zone, reset)
    following = next_reset_at(instant, zone, reset)
    assert following > instant
    assert following - instant <= timedelta(hours=26)
    assert trading_day_key(following - timedelta(microseconds=1), zone, reset) == key
    assert trading_day_key(following, zone, reset) == key + timedelta(days=1)


@FAST
@given(
    instant=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
    ),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    zone=st.sampled_from(ZONES),
    reset=st.sampled_from([time(17, 0), time(0, 0), time(2, 30), time(1, 30), time(23, 59)]),
)
def test_the_day_key_never_goes_backwards(instant, later, zone, reset):
    earlier_key = trading_day_key(instant, zone, reset)
    later_key = trading_day_key(instant + later, zone, reset)
    assert later_key >= earlier_key
    assert isinstance(later_key, date)
