"""Hand-computed cases, to the cent, for every rule and mode of RULES.md.

The plan in most cases: B0 = 100,000.00, max daily loss 5,000.00, max total loss
10,000.00, profit target 10,000.00. The clock is 2024-06-12 15:00 UTC (11:00 New York).
"""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from alpacabackend.money import to_cents, to_quantity
from prop_firm.rules import (
    ACCOUNT_NOT_TRADABLE,
    BUYING_POWER,
    CONSISTENCY,
    DAILY_LOSS,
    INACTIVITY,
    MIN_TRADING_DAYS,
    POSITION_SIZE,
    PROFIT_TARGET,
    TIME_LIMIT,
    TOTAL_LOSS,
    AccountState,
    LossWarning,
    NoPrice,
    Order,
    PlanRules,
    PositionState,
    Quote,
    check_order,
    daily_loss_floor,
    day_start_marks,
    evaluate,
    max_loss_floor,
    next_reset_at,
    payout_checks,
    trader_share,
    trading_day_key,
    unrealized_pl,
)

D = Decimal
NY = ZoneInfo("America/New_York")
RESET = time(17, 0)
NOW = datetime(2024, 6, 12, 15, 0, tzinfo=UTC)
STARTED = NOW - timedelta(days=5)


def make_plan(**overrides) -> PlanRules:
    fields = {
        "starting_balance": D("100000.00"),
        "max_daily_loss": D("5000.00"),
        "max_total_loss": D("10000.00"),
        "profit_target": D("10000.00"),
        "min_trading_days": 4,
    }
    fields.update(overrides)
    return PlanRules(**fields)


def make_state(plan: PlanRules | None = None, **overrides) -> AccountState:
    state = AccountState.at_stage_start(plan or make_plan(), started_at=STARTED, stage="EVALUATION")
    fields = {"last_fill_at": NOW - timedelta(hours=1)}
    fields.update(overrides)
    return replace(state, **fields)


def quote(bid, ask=None, last=None, age_seconds=0) -> Quote:
    return Quote(
        bid=D(bid) if bid is not None else None,
        ask=D(ask) if ask is not None else (D(bid) if bid is not None else None),
        last=D(last) if last is not None else None,
        timestamp=NOW - timedelta(seconds=age_seconds),
    )


def long(symbol="AAPL", quantity="100", entry="200.00") -> PositionState:
    return PositionState(symbol, "LONG", D(quantity), D(entry))


def short(symbol="TSLA", quantity="100", entry="200.00") -> PositionState:
    return PositionState(symbol, "SHORT", D(quantity), D(entry))


def rules_of(items) -> list[str]:
    return [item.rule for item in items]


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


# --- the trading day -------------------------------------------------------------------


def test_day_key_is_the_local_date_before_the_reset():
    assert trading_day_key(ny(2024, 6, 12, 16, 59, 59), NY, RESET) == date(2024, 6, 12)


def test_day_key_moves_to_the_next_date_at_the_reset():
    assert trading_day_key(ny(2024, 6, 12, 17, 0), NY, RESET) == date(2024, 6, 13)


def test_day_key_uses_the_trading_zone_not_utc():
    # 22:30 UTC is 18:30 in New York (EDT): already the next trading day.
    instant = datetime(2024, 6, 12, 22, 30, tzinfo=UTC)
    assert trading_day_key(instant, "America/New_York", RESET) == date(2024, 6, 13)


def test_a_loss_crossing_midnight_but_not_the_reset_stays_in_one_trading_day():
    evening = ny(2024, 6, 12, 23, 30)
    after_midnight = ny(2024, 6, 13, 0, 30)
    before_reset = ny(2024, 6, 13, 16, 59)
    keys = {trading_day_key(t, NY, RESET) for t in (evening, after_midnight, before_reset)}
    assert keys == {date(2024, 6, 13)}

    # So the loss of the whole night is judged against one start-of-day balance.
    plan = make_plan()
    state = make_state(sod_balance=D("100000.00"), positions=(long(),))
    at_evening = evaluate(plan, state, {"AAPL": quote("180.00")}, NOW)
    after = evaluate(plan, state, {"AAPL": quote("149.99")}, NOW)
    assert at_evening.daily_loss_floor == after.daily_loss_floor == D("95000.00")
    assert rules_of(after.breaches) == [DAILY_LOSS]


def test_day_key_across_the_march_dst_change():
    # 2024-03-10 02:00 EST -> 03:00 EDT. The reset stays at 17:00 local on both sides.
    assert trading_day_key(datetime(2024, 3, 9, 21, 59, tzinfo=UTC), NY, RESET) == date(2024, 3, 9)
    assert trading_day_key(datetime(2024, 3, 9, 22, 0, tzinfo=UTC), NY, RESET) == date(2024, 3, 10)
    # After the change 17:00 EDT is 21:00 UTC.
    assert trading_day_key(datetime(2024, 3, 10, 20, 59, tzinfo=UTC), NY, RESET) == date(
        2024, 3, 10
    )
    assert trading_day_key(datetime(2024, 3, 10, 21, 0, tzinfo=UTC), NY, RESET) == date(2024, 3, 11)


def test_day_key_across_the_november_dst_change():
    # 2024-11-03 02:00 EDT -> 01:00 EST. 17:00 EDT is 21:00 UTC, 17:00 EST is 22:00 UTC.
    assert trading_day_key(datetime(2024, 11, 2, 21, 0, tzinfo=UTC), NY, RESET) == date(2024, 11, 3)
    assert trading_day_key(datetime(2024, 11, 3, 21, 59, tzinfo=UTC), NY, RESET) == date(
        2024, 11, 3
    )
    assert trading_day_key(datetime(2024, 11, 3, 22, 0, tzinfo=UTC), NY, RESET) == date(2024, 11, 4)


def test_next_reset_at_is_the_coming_reset_in_the_trading_zone():
    assert next_reset_at(ny(2024, 6, 12, 11, 0), NY, RESET) == ny(2024, 6, 12, 17, 0)
    assert next_reset_at(ny(2024, 6, 12, 18, 0), NY, RESET) == ny(2024, 6, 13, 17, 0)


def test_next_reset_at_is_strictly_after_an_instant_on_the_reset():
    assert next_reset_at(ny(2024, 6, 12, 17, 0), NY, RESET) == ny(2024, 6, 13, 17, 0)


def test_next_reset_at_across_the_march_change_is_23_hours_after_the_reset():
    reset = datetime(2024, 3, 9, 22, 0, tzinfo=UTC)  # 17:00 EST
    following = next_reset_at(reset, NY, RESET)
    assert following == datetime(2024, 3, 10, 21, 0, tzinfo=UTC)  # 17:00 EDT
    assert following - reset == timedelta(hours=23)
    assert following.astimezone(NY).utcoffset() == timedelta(hours=-4)


def test_next_reset_at_across_the_november_change_is_25_hours_after_the_reset():
    reset = datetime(2024, 11, 2, 21, 0, tzinfo=UTC)  # 17:00 EDT
    following = next_reset_at(reset, NY, RESET)
    assert following == datetime(2024, 11, 3, 22, 0, tzinfo=UTC)  # 17:00 EST
    assert following - reset == timedelta(hours=25)
    assert following.astimezone(NY).utcoffset() == timedelta(hours=-5)


def test_a_reset_in_the_skipped_hour_happens_at_the_jump():
    # 02:30 does not exist on 2024-03-10 in New York: the day changes at 03:00 EDT.
    reset = time(2, 30)
    assert next_reset_at(ny(2024, 3, 10, 1, 0), NY, reset) == datetime(
        2024, 3, 10, 7, 0, tzinfo=UTC
    )
    assert trading_day_key(datetime(2024, 3, 10, 6, 59, 59, tzinfo=UTC), NY, reset) == date(
        2024, 3, 10
    )
    assert trading_day_key(datetime(2024, 3, 10, 7, 0, tzinfo=UTC), NY, reset) == date(2024, 3, 11)


def test_a_reset_in_the_repeated_hour_happens_once():
    # 01:30 happens twice on 2024-11-03 in New York: the first time (05:30 UTC) counts.
    reset = time(1, 30)
    assert next_reset_at(datetime(2024, 11, 3, 5, 0, tzinfo=UTC), NY, reset) == datetime(
        2024, 11, 3, 5, 30, tzinfo=UTC
    )
    # 01:10 EST (06:10 UTC) comes after the first 01:30: it stays in the new day.
    assert trading_day_key(datetime(2024, 11, 3, 6, 10, tzinfo=UTC), NY, reset) == date(2024, 11, 4)


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        trading_day_key(datetime(2024, 6, 12, 12, 0), NY, RESET)


def test_day_start_marks_snapshot_balance_and_equity_and_raise_the_eod_high_water_mark():
    marks = day_start_marks(balance=D("101500.00"), equity=D("99800.00"), eod_hwm=D("101000.00"))
    assert (marks.sod_balance, marks.sod_equity, marks.eod_hwm) == (
        D("101500.00"),
        D("99800.00"),
        D("101500.00"),
    )


def test_day_start_marks_never_lower_the_eod_high_water_mark():
    marks = day_start_marks(balance=D("99000.00"), equity=D("99000.00"), eod_hwm=D("101000.00"))
    assert marks.eod_hwm == D("101000.00")


# --- marking ---------------------------------------------------------------------------


def test_a_long_is_marked_at_the_bid_and_a_short_at_the_ask():
    quotes = {"AAPL": quote("190.00", "190.10"), "TSLA": quote("210.00", "210.25")}
    # (190.00 - 200.00) x 100 + (200.00 - 210.25) x 100 = -1,000.00 - 1,025.00
    assert unrealized_pl([long(), short()], quotes) == D("-2025.00")


def test_the_last_trade_price_is_used_where_there_is_no_quote_side():
    quotes = {"AAPL": Quote(bid=None, ask=D("0"), last=D("201.50"), timestamp=NOW)}
    assert unrealized_pl([long()], quotes) == D("150.00")
    assert unrealized_pl([short("AAPL")], quotes) == D("-150.00")


def test_fractional_quantities_are_marked_exactly():
    position = long("BTCUSD", "0.123456", "60000.00")
    pl = unrealized_pl([position], {"BTCUSD": quote("61234.56")})
    assert pl == D("152.41383936")  # 1,234.56 x 0.123456, not rounded
    assert to_cents(pl) == D("152.41")


def test_unrealized_pl_without_any_price_raises():
    with pytest.raises(NoPrice):
        unrealized_pl([long()], {})


def test_money_helpers_round_half_even_and_refuse_floats():
    assert to_cents(D("2.345")) == D("2.34")
    assert to_cents(D("2.355")) == D("2.36")
    assert to_quantity(D("0.1234565")) == D("0.123456")
    with pytest.raises(TypeError):
        to_cents(0.1)


def test_a_float_amount_is_refused():
    with pytest.raises(TypeError):
        make_plan(max_daily_loss=5000.0)


# --- daily loss ------------------------------------------------------------------------


def test_floating_loss_breaches_daily_floor():
    # U = (149.99 - 200.00) x 100 = -5,001.00, E = 94,999.00 < F_d = 95,000.00
    state = make_state(positions=(long(),))
    result = evaluate(make_plan(), state, {"AAPL": quote("149.99", "150.01")}, NOW)
    assert result.unrealized_pl == D("-5001.00")
    assert result.equity == D("94999.00")
    assert result.daily_loss_floor == D("95000.00")
    assert result.daily_loss_room == D("-1.00")
    [breach] = result.breaches
    assert breach.rule == DAILY_LOSS
    assert (breach.threshold, breach.actual) == (D("95000.00"), D("94999.00"))
    assert breach.prices == {"AAPL": D("149.99")}
    assert breach.at == NOW
    assert "$94,999.00" in breach.description and "$95,000.00" in breach.description
    assert not result.can_trade


def test_equity_exactly_at_the_daily_floor_is_not_a_breach_but_cannot_trade():
    state = make_state(positions=(long(),))
    result = evaluate(make_plan(), state, {"AAPL": quote("150.00")}, NOW)
    assert result.equity == D("95000.00")
    assert result.breaches == ()
    assert not result.can_trade


def test_a_realised_loss_breaches_the_daily_floor():
    state = make_state(balance=D("94999.99"))
    result = evaluate(make_plan(), state, {}, NOW)
    assert rules_of(result.breaches) == [DAILY_LOSS]


def test_daily_floor_is_anchored_on_the_start_of_day_balance_by_default():
    plan = make_plan()
    assert daily_loss_floor(plan, sod_balance=D("102000.00"), sod_equity=D("104000.00")) == D(
        "97000.00"
    )


def test_balance_or_equity_anchor_uses_the_higher_start_of_day_equity():
    plan = make_plan(daily_loss_basis="balance_or_equity")
    # SOD_B 102,000, SOD_E 104,000 (an open winner at the reset): A = 104,000, F_d = 99,000.
    state = make_state(
        balance=D("102000.00"),
        sod_balance=D("102000.00"),
        sod_equity=D("104000.00"),
        eod_hwm=D("102000.00"),
        positions=(long(),),
    )
    # E = 102,000.00 + (179.99 - 200.00) x 100 = 99,999.00
    quotes = {"AAPL": quote("179.99")}
    result = evaluate(plan, state, quotes, NOW)
    assert result.daily_loss_anchor == D("104000.00")
    assert result.daily_loss_floor == D("99000.00")
    assert result.equity == D("99999.00")
    assert result.breaches == ()
    worse = evaluate(plan, state, {"AAPL": quote("169.99")}, NOW)
    assert worse.equity == D("98999.00")
    assert rules_of(worse.breaches) == [DAILY_LOSS]
    # The same account on the default basis has 2,000.00 more room.
    default = evaluate(make_plan(), state, {"AAPL": quote("169.99")}, NOW)
    assert default.daily_loss_floor == D("97000.00")
    assert default.breaches == ()


def test_balance_or_equity_anchor_keeps_the_balance_when_equity_was_lower():
    plan = make_plan(daily_loss_basis="balance_or_equity")
    assert daily_loss_floor(plan, sod_balance=D("102000.00"), sod_equity=D("101000.00")) == D(
        "97000.00"
    )


# --- maximum loss ----------------------------------------------------------------------


def test_static_floor_is_the_starting_balance_minus_the_max_loss():
    plan = make_plan()
    assert max_loss_floor(plan, eod_hwm=D("115000.00"), peak_equity=D("120000.00")) == D("90000.00")


def test_equity_below_the_max_loss_floor_breaches_total_loss():
    # Yesterday already lost 4,000.00: SOD_B 96,000, F_d 91,000; F_t 90,000.
    state = make_state(
        balance=D("96000.00"),
        sod_balance=D("96000.00"),
        sod_equity=D("96000.00"),
        positions=(long(),),
    )
    result = evaluate(make_plan(), state, {"AAPL": quote("139.99")}, NOW)
    assert result.equity == D("89999.00")
    assert rules_of(result.breaches) == [DAILY_LOSS, TOTAL_LOSS]
    total = result.breaches[1]
    assert (total.threshold, total.actual) == (D("90000.00"), D("89999.00"))


def test_equity_exactly_at_the_max_loss_floor_is_not_a_breach():
    state = make_state(balance=D("90000.00"), sod_balance=D("92000.00"), sod_equity=D("92000.00"))
    result = evaluate(make_plan(), state, {}, NOW)
    assert result.max_loss_room == D("0.00")
    assert result.breaches == ()
    assert not result.can_trade


def test_trailing_eod_floor_follows_the_highest_reset_balance():
    plan = make_plan(drawdown_mode="trailing_eod")
    # EOD_HWM 104,000 -> F_t 94,000; an intraday peak of 108,000 does not count.
    assert max_loss_floor(plan, eod_hwm=D("104000.00"), peak_equity=D("108000.00")) == D("94000.00")


def test_trailing_eod_floor_locks_at_starting_balance():
    plan = make_plan(drawdown_mode="trailing_eod")
    assert max_loss_floor(plan, eod_hwm=D("112000.00"), peak_equity=D("112000.00")) == D(
        "100000.00"
    )
    unlocked = make_plan(drawdown_mode="trailing_eod", drawdown_lock_at_start=False)
    assert max_loss_floor(unlocked, eod_hwm=D("112000.00"), peak_equity=D("112000.00")) == D(
        "102000.00"
    )


def test_trailing_eod_floor_never_goes_below_the_starting_balance_minus_max_loss():
    plan = make_plan(drawdown_mode="trailing_eod")
    assert max_loss_floor(plan, eod_hwm=D("97000.00"), peak_equity=D("97000.00")) == D("90000.00")


def test_trailing_intraday_floor_follows_peak_equity():
    plan = make_plan(drawdown_mode="trailing_intraday")
    assert max_loss_floor(plan, eod_hwm=D("100000.00"), peak_equity=D("103500.00")) == D("93500.00")


def test_trailing_intraday_floor_locks_at_starting_balance():
    plan = make_plan(drawdown_mode="trailing_intraday")
    assert max_loss_floor(plan, eod_hwm=D("100000.00"), peak_equity=D("111000.00")) == D(
        "100000.00"
    )


def test_a_fresh_new_equity_peak_raises_the_trailing_intraday_floor():
    plan = make_plan(drawdown_mode="trailing_intraday")
    state = make_state(positions=(long(),))
    result = evaluate(plan, state, {"AAPL": quote("240.00")}, NOW)
    assert result.equity == D("104000.00")
    assert result.peak_equity == D("104000.00")
    assert result.max_loss_floor == D("94000.00")
    assert result.max_loss_room == D("10000.00")


def test_trailing_intraday_floor_never_decreases_when_equity_falls_back():
    plan = make_plan(drawdown_mode="trailing_intraday")
    state = make_state(positions=(long(),))
    up = evaluate(plan, state, {"AAPL": quote("260.00")}, NOW)
    assert (up.peak_equity, up.max_loss_floor) == (D("106000.00"), D("96000.00"))
    state = replace(state, peak_equity=up.peak_equity)
    down = evaluate(plan, state, {"AAPL": quote("170.00")}, NOW + timedelta(minutes=1))
    assert down.equity == D("97000.00")
    assert down.peak_equity == D("106000.00")
    assert down.max_loss_floor == D("96000.00")


def test_a_stale_quote_does_not_raise_peak_equity():
    plan = make_plan(drawdown_mode="trailing_intraday")
    state = make_state(positions=(long(),))
    result = evaluate(plan, state, {"AAPL": quote("260.00", age_seconds=61)}, NOW)
    assert result.equity == D("106000.00")
    assert result.peak_equity == D("100000.00")
    assert result.max_loss_floor == D("90000.00")


def test_a_flat_account_raises_peak_equity_to_its_balance():
    plan = make_plan(drawdown_mode="trailing_intraday")
    result = evaluate(plan, make_state(balance=D("101234.56")), {}, NOW)
    assert result.peak_equity == D("101234.56")
    assert result.max_loss_floor == D("91234.56")


# --- stale prices ----------------------------------------------------------------------


def test_stale_quotes_never_fail_an_account():
    state = make_state(positions=(long(),))
    result = evaluate(make_plan(), state, {"AAPL": quote("100.00", age_seconds=61)}, NOW)
    assert result.equity == D("90000.00")  # still shown
    assert result.stale
    assert result.stale_symbols == ("AAPL",)
    assert result.breaches == ()
    assert result.warnings == ()
    assert not result.can_trade


def test_a_quote_exactly_the_max_age_old_is_fresh():
    state = make_state(positions=(long(),))
    result = evaluate(make_plan(), state, {"AAPL": quote("99.99", age_seconds=60)}, NOW)
    assert not result.stale
    assert rules_of(result.breaches) == [DAILY_LOSS, TOTAL_LOSS]


def test_the_max_quote_age_is_an_argument():
    state = make_state(positions=(long(),))
    quotes = {"AAPL": quote("100.00", age_seconds=30)}
    assert evaluate(make_plan(), state, quotes, NOW, max_quote_age_seconds=15).stale


def test_one_stale_symbol_makes_the_whole_evaluation_stale():
    state = make_state(positions=(long(), short()))
    quotes = {"AAPL": quote("100.00"), "TSLA": quote("200.00", age_seconds=120)}
    result = evaluate(make_plan(), state, quotes, NOW)
    assert result.stale_symbols == ("TSLA",)
    assert result.breaches == ()


def test_a_position_without_any_quote_is_marked_at_entry_and_never_fails():
    state = make_state(balance=D("94000.00"), positions=(long(),))
    result = evaluate(make_plan(), state, {}, NOW)
    assert result.unrealized_pl == D("0.00")
    assert result.prices == {"AAPL": D("200.00")}
    assert result.stale_symbols == ("AAPL",)
    assert result.breaches == ()


def test_stale_quotes_still_let_inactivity_fail_the_account():
    state = make_state(positions=(long(),), last_fill_at=NOW - timedelta(days=31))
    state = replace(state, stage_started_at=NOW - timedelta(days=40))
    result = evaluate(make_plan(), state, {"AAPL": quote("100.00", age_seconds=3600)}, NOW)
    assert result.stale
    assert rules_of(result.breaches) == [INACTIVITY]


# --- inactivity and time limit ---------------------------------------------------------


def test_inactivity_fails_after_max_inactive_days_without_a_fill():
    state = make_state(last_fill_at=NOW - timedelta(days=30))
    [breach] = evaluate(make_plan(), state, {}, NOW).breaches
    assert breach.rule == INACTIVITY
    assert (breach.threshold, breach.actual) == (D(30), D(30))
    assert breach.prices == {}


def test_inactivity_spares_an_account_one_second_before_the_limit():
    state = make_state(last_fill_at=NOW - timedelta(days=30) + timedelta(seconds=1))
    assert evaluate(make_plan(), state, {}, NOW).breaches == ()


def test_inactivity_counts_from_the_stage_start_when_there_was_no_fill():
    state = replace(make_state(), last_fill_at=None, stage_started_at=NOW - timedelta(days=30))
    assert rules_of(evaluate(make_plan(), state, {}, NOW).breaches) == [INACTIVITY]


def test_inactivity_is_off_when_max_inactive_days_is_null():
    state = make_state(last_fill_at=NOW - timedelta(days=300))
    assert evaluate(make_plan(max_inactive_days=None), state, {}, NOW).breaches == ()


def test_time_limit_fails_a_stage_whose_target_is_not_reached_in_time():
    plan = make_plan(max_stage_days=30)
    state = replace(make_state(balance=D("109999.99")), stage_started_at=NOW - timedelta(days=30))
    [breach] = evaluate(plan, state, {}, NOW).breaches
    assert breach.rule == TIME_LIMIT
    assert (breach.threshold, breach.actual) == (D(30), D(30))
    assert "$10,000.00" in breach.description and "$9,999.99" in breach.description


def test_time_limit_spares_a_stage_before_its_deadline():
    plan = make_plan(max_stage_days=30)
    state = replace(make_state(), stage_started_at=NOW - timedelta(days=29, hours=23))
    assert evaluate(plan, state, {}, NOW).breaches == ()


def test_time_limit_spares_a_stage_whose_target_was_reached():
    # Target reached on balance; the stage is still open for its minimum trading days.
    plan = make_plan(max_stage_days=30)
    state = replace(make_state(balance=D("110000.00")), stage_started_at=NOW - timedelta(days=45))
    result = evaluate(plan, state, {}, NOW)
    assert result.breaches == ()
    assert not result.passed


def test_the_funded_stage_has_no_time_limit():
    plan = make_plan(profit_target=None, min_trading_days=0, max_stage_days=30)
    state = replace(make_state(), stage_started_at=NOW - timedelta(days=90))
    assert evaluate(plan, state, {}, NOW).breaches == ()


# --- objectives ------------------------------------------------------------------------


def passing_state(**overrides) -> AccountState:
    days = frozenset(date(2024, 6, d) for d in (7, 10, 11, 12))
    fields = {
        "balance": D("110000.00"),
        "trading_day_keys": days,
        "daily_profits": dict.fromkeys(days, D("2500.00")),
    }
    fields.update(overrides)
    return make_state(**fields)


def test_a_flat_stage_with_every_objective_met_passes():
    result = evaluate(make_plan(), passing_state(), {}, NOW)
    assert result.passed
    assert [(o.rule, o.met) for o in result.objectives] == [
        (PROFIT_TARGET, True),
        (MIN_TRADING_DAYS, True),
    ]


def test_profit_target_hit_while_not_flat_does_not_pass():
    state = passing_state(positions=(long(),))
    result = evaluate(make_plan(), state, {"AAPL": quote("200.00")}, NOW)
    target = result.objectives[0]
    assert (target.rule, target.current, target.met) == (PROFIT_TARGET, D("10000.00"), False)
    assert not result.passed
    assert result.breaches == ()


def test_profit_target_counts_the_balance_not_the_equity():
    # B - B0 = 9,999.99; an open winner of +5,000.00 does not count.
    state = passing_state(balance=D("109999.99"), positions=(long(),))
    result = evaluate(make_plan(), state, {"AAPL": quote("250.00")}, NOW)
    assert result.equity == D("114999.99")
    target = result.objectives[0]
    assert (target.current, target.met) == (D("9999.99"), False)
    assert not result.passed


def test_min_trading_days_keeps_the_stage_open():
    days = frozenset(date(2024, 6, d) for d in (10, 11, 12))
    state = passing_state(trading_day_keys=days)
    result = evaluate(make_plan(), state, {}, NOW)
    days_objective = result.objectives[1]
    assert (days_objective.target, days_objective.current, days_objective.met) == (4, 3, False)
    assert not result.passed
    assert result.breaches == ()


def test_consistency_keeps_the_stage_open_without_failing_it():
    plan = make_plan(consistency_pct=D("50"))
    profits = {date(2024, 6, 10): D("6000.00"), date(2024, 6, 11): D("4000.00")}
    result = evaluate(plan, passing_state(daily_profits=profits), {}, NOW)
    consistency = result.objectives[2]
    assert consistency.rule == CONSISTENCY
    assert (consistency.target, consistency.current, consistency.met) == (
        D("50"),
        D("60.00"),
        False,
    )
    assert not result.passed
    assert result.breaches == ()
    assert result.can_trade


def test_consistency_holds_at_exactly_the_limit():
    plan = make_plan(consistency_pct=D("50"))
    profits = {date(2024, 6, 10): D("5000.00"), date(2024, 6, 11): D("5000.00")}
    result = evaluate(plan, passing_state(daily_profits=profits), {}, NOW)
    assert result.objectives[2].met
    assert result.passed


def test_consistency_without_a_profit_does_not_hold():
    plan = make_plan(consistency_pct=D("50"))
    profits = {date(2024, 6, 10): D("-100.00")}
    consistency = evaluate(plan, make_state(daily_profits=profits), {}, NOW).objectives[2]
    assert (consistency.current, consistency.met) == (None, False)


def test_the_funded_stage_never_passes_and_has_no_profit_target():
    plan = make_plan(profit_target=None, min_trading_days=0)
    result = evaluate(plan, passing_state(), {}, NOW)
    assert result.objectives == ()
    assert not result.passed


def test_a_failed_account_neither_passes_nor_trades():
    result = evaluate(make_plan(), passing_state(status="FAILED"), {}, NOW)
    assert not result.passed
    assert not result.can_trade


# --- warnings --------------------------------------------------------------------------


def test_warning_at_80_percent_of_the_daily_loss_room():
    # Room used = (A - E) / 5,000 = (100,000 - 96,000) / 5,000 = 80%
    result = evaluate(make_plan(), make_state(balance=D("96000.00")), {}, NOW)
    assert result.warnings == (LossWarning(DAILY_LOSS, D("80.00")),)
    assert result.can_trade


def test_no_warning_just_below_80_percent_of_the_daily_loss_room():
    result = evaluate(make_plan(), make_state(balance=D("96000.01")), {}, NOW)
    assert result.warnings == ()


def test_warning_at_80_percent_of_the_max_loss_room():
    # Static: (B0 - E) / 10,000 = (100,000 - 92,000) / 10,000 = 80%; the day itself lost
    # only 500.00 (SOD_B 92,500).
    state = make_state(balance=D("92000.00"), sod_balance=D("92500.00"), sod_equity=D("92500"))
    result = evaluate(make_plan(), state, {}, NOW)
    assert result.warnings == (LossWarning(TOTAL_LOSS, D("80.00")),)


def test_no_warning_just_below_80_percent_of_the_max_loss_room():
    state = make_state(balance=D("92000.01"), sod_balance=D("92500.00"), sod_equity=D("92500"))
    assert evaluate(make_plan(), state, {}, NOW).warnings == ()


def test_trailing_warning_measures_the_room_from_the_peak():
    # Peak 105,000 -> F_t 95,000; E 97,000: (105,000 - 97,000) / 10,000 = 80%.
    plan = make_plan(drawdown_mode="trailing_intraday", drawdown_lock_at_start=False)
    state = make_state(
        balance=D("97000.00"),
        sod_balance=D("97000.00"),
        sod_equity=D("97000.00"),
        peak_equity=D("105000.00"),
    )
    result = evaluate(plan, state, {}, NOW)
    assert result.max_loss_floor == D("95000.00")
    assert result.warnings == (LossWarning(TOTAL_LOSS, D("80.00")),)


def test_warning_shows_the_share_used_to_the_hundredth():
    # 4,321.99 / 5,000 = 86.4398% -> 86.44
    result = evaluate(make_plan(), make_state(balance=D("95678.01")), {}, NOW)
    assert result.warnings == (LossWarning(DAILY_LOSS, D("86.44")),)


def test_a_breach_replaces_the_warning_of_its_rule():
    result = evaluate(make_plan(), make_state(balance=D("94000.00")), {}, NOW)
    assert rules_of(result.breaches) == [DAILY_LOSS]
    assert result.warnings == ()


def test_no_warning_from_stale_prices():
    state = make_state(positions=(long(),))
    result = evaluate(make_plan(), state, {"AAPL": quote("160.00", age_seconds=61)}, NOW)
    assert result.equity == D("96000.00")
    assert result.warnings == ()


# --- idempotence -----------------------------------------------------------------------


def test_evaluating_twice_gives_the_same_result():
    plan = make_plan(drawdown_mode="trailing_intraday")
    state = make_state(positions=(long(), short()))
    quotes = {"AAPL": quote("230.00"), "TSLA": quote("190.00")}
    first = evaluate(plan, state, quotes, NOW)
    assert evaluate(plan, state, quotes, NOW) == first
    # Storing the new marks and evaluating again changes nothing either.
    assert evaluate(plan, replace(state, peak_equity=first.peak_equity), quotes, NOW) == first


# --- soft rules ------------------------------------------------------------------------


def soft_plan(**overrides) -> PlanRules:
    return make_plan(max_position_size=D("10.00"), max_leverage=D("2"), **overrides)


def test_an_order_within_every_limit_passes():
    order = Order("AAPL", "LONG", D("50"), D("200.00"))  # 10,000.00 = 10% of 100,000.00
    assert check_order(soft_plan(), make_state(), {}, order) is None


def test_an_order_above_the_position_size_limit_is_rejected():
    order = Order("AAPL", "LONG", D("51"), D("200.00"))
    rejection = check_order(soft_plan(), make_state(), {}, order)
    assert rejection.code == POSITION_SIZE
    assert "$10,200.00" in rejection.message
    assert "10.00%" in rejection.message and "$10,000.00" in rejection.message


def test_position_size_counts_what_is_already_held_in_that_symbol():
    state = make_state(positions=(long("AAPL", "30", "200.00"),))
    order = Order("AAPL", "LONG", D("25"), D("200.00"))  # (30 + 25) x 200 = 11,000.00
    rejection = check_order(soft_plan(), state, {"AAPL": quote("200.00")}, order)
    assert rejection.code == POSITION_SIZE
    assert "$11,000.00" in rejection.message


def test_position_size_is_a_percent_of_equity_not_balance():
    # B 100,000, U -2,000 (bid 180): E 98,000, so 10% is 9,800.00.
    state = make_state(positions=(long("MSFT", "100", "200.00"),))
    quotes = {"MSFT": quote("180.00")}
    assert check_order(soft_plan(), state, quotes, Order("AAPL", "LONG", D("49"), D("200"))) is None
    rejection = check_order(soft_plan(), state, quotes, Order("AAPL", "LONG", D("50"), D("200")))
    assert rejection.code == POSITION_SIZE
    assert "$9,800.00" in rejection.message


def test_an_order_beyond_buying_power_is_rejected():
    plan = make_plan(max_leverage=D("1"))
    # open: 200 MSFT at bid 250.00 = 50,000.00; pending 30,000.00; order 100 x 210 = 21,000.00
    state = make_state(
        positions=(long("MSFT", "200", "250.00"),), pending_order_notional=D("30000.00")
    )
    quotes = {"MSFT": quote("250.00")}
    rejection = check_order(plan, state, quotes, Order("AAPL", "LONG", D("100"), D("210.00")))
    assert rejection.code == BUYING_POWER
    assert "$101,000.00" in rejection.message and "$100,000.00" in rejection.message


def test_an_order_using_exactly_all_buying_power_passes():
    plan = make_plan(max_leverage=D("1"))
    state = make_state(
        positions=(long("MSFT", "200", "250.00"),), pending_order_notional=D("30000.00")
    )
    quotes = {"MSFT": quote("250.00")}
    assert check_order(plan, state, quotes, Order("AAPL", "LONG", D("100"), D("200.00"))) is None


def test_leverage_multiplies_the_buying_power():
    plan = make_plan(max_leverage=D("2"), max_position_size=D("300"))
    order = Order("AAPL", "SHORT", D("1000"), D("200.00"))  # 200,000.00 = 2 x 100,000.00
    assert check_order(plan, make_state(), {}, order) is None
    over = Order("AAPL", "SHORT", D("1000.000001"), D("200.00"))
    assert check_order(plan, make_state(), {}, over).code == BUYING_POWER


def test_an_order_at_the_daily_floor_is_rejected():
    state = make_state(balance=D("95000.00"))
    rejection = check_order(make_plan(), state, {}, Order("AAPL", "LONG", D("1"), D("200.00")))
    assert rejection.code == ACCOUNT_NOT_TRADABLE
    assert "daily loss floor" in rejection.message and "$95,000.00" in rejection.message


def test_an_order_past_the_max_loss_floor_is_rejected():
    # SOD_B 92,000 -> F_d 87,000; E 89,999.99 < F_t 90,000.00 (stale prices kept it alive).
    state = make_state(balance=D("89999.99"), sod_balance=D("92000.00"), sod_equity=D("92000.00"))
    rejection = check_order(make_plan(), state, {}, Order("AAPL", "LONG", D("1"), D("200.00")))
    assert rejection.code == ACCOUNT_NOT_TRADABLE
    assert "maximum loss floor" in rejection.message


def test_an_account_that_is_not_active_cannot_place_any_order():
    state = make_state(status="FAILED", positions=(long(),))
    closing = Order("AAPL", "SHORT", D("100"), D("200.00"), reduces_position=True)
    rejection = check_order(make_plan(), state, {"AAPL": quote("200.00")}, closing)
    assert rejection.code == ACCOUNT_NOT_TRADABLE
    assert "failed" in rejection.message


def test_closing_orders_pass_size_leverage_and_loss_room():
    # 1,000 AAPL long at bid 95.10: U -104,900, E -4,900: past every floor and limit.
    state = make_state(positions=(long("AAPL", "1000", "200.00"),))
    quotes = {"AAPL": quote("95.10")}
    plan = soft_plan()
    opening = Order("AAPL", "LONG", D("1"), D("95.10"))
    assert check_order(plan, state, quotes, opening).code == ACCOUNT_NOT_TRADABLE
    closing = Order("AAPL", "SHORT", D("1000"), D("95.10"), reduces_position=True)
    assert check_order(plan, state, quotes, closing) is None


# --- payouts ---------------------------------------------------------------------------

FUNDED_PLAN = make_plan(profit_target=None, min_trading_days=0)


def payout(plan=FUNDED_PLAN, *, state_overrides=None, **overrides):
    state_fields = {"balance": D("104000.00"), "stage": "FUNDED"}
    state_fields.update(state_overrides or {})
    state = make_state(plan, **state_fields)
    arguments = {
        "last_payout_at": None,
        "first_funded_fill_at": NOW - timedelta(days=20),
        "profit_split": D("80"),
        "min_payout_amount": D("100.00"),
        "payout_frequency_days": 14,
        "has_pending_payout": False,
        "open_positions": 0,
        "pending_orders": 0,
    }
    arguments.update(overrides)
    return payout_checks(plan, state, NOW, **arguments)


def failing(result) -> list[str]:
    return [check.rule for check in result.checks if not check.ok]


def test_a_funded_account_in_profit_is_eligible_for_a_payout():
    result = payout()
    assert result.eligible
    assert failing(result) == []
    assert result.profit == D("4000.00")
    assert result.trader_share == D("3200.00")  # 4,000.00 x 80 / 100
    assert result.next_eligible_at == NOW - timedelta(days=6)


@pytest.mark.parametrize(
    ("rule", "arguments"),
    [
        ("STATUS", {"state_overrides": {"status": "FAILED"}}),
        ("STAGE", {"state_overrides": {"stage": "EVALUATION"}}),
        ("NO_OPEN_POSITIONS", {"open_positions": 1}),
        ("NO_PENDING_ORDERS", {"pending_orders": 2}),
        ("PAYOUT_FREQUENCY", {"first_funded_fill_at": NOW - timedelta(days=13, hours=23)}),
        ("PROFIT", {"state_overrides": {"balance": D("100000.00")}, "min_payout_amount": D(0)}),
        # P = 100.00, share 80.00 < 100.00
        ("MIN_PAYOUT_AMOUNT", {"state_overrides": {"balance": D("100100.00")}}),
        ("NO_PENDING_PAYOUT", {"has_pending_payout": True}),
    ],
)
def test_each_payout_condition_fails_alone(rule, arguments):
    result = payout(**arguments)
    assert failing(result) == [rule]
    assert not result.eligible


def test_payout_consistency_fails_alone():
    plan = make_plan(profit_target=None, min_trading_days=0, consistency_pct=D("40"))
    profits = {date(2024, 6, 10): D("2000.00"), date(2024, 6, 11): D("2000.00")}
    assert failing(payout(plan, state_overrides={"daily_profits": profits})) == ["CONSISTENCY"]
    profits[date(2024, 6, 12)] = D("1000.00")  # best day 2,000 / 5,000 = 40%
    assert failing(payout(plan, state_overrides={"daily_profits": profits})) == []


def test_payout_waiting_period_counts_from_the_last_payout():
    result = payout(last_payout_at=NOW - timedelta(days=3))
    assert failing(result) == ["PAYOUT_FREQUENCY"]
    assert result.next_eligible_at == NOW + timedelta(days=11)


def test_payout_waiting_period_needs_a_first_funded_fill():
    result = payout(first_funded_fill_at=None)
    assert failing(result) == ["PAYOUT_FREQUENCY"]
    assert result.next_eligible_at is None


def test_trader_share_is_rounded_half_even_to_cents():
    assert trader_share(D("1.30625"), D("80")) == D("1.04")  # 1.045
    assert trader_share(D("1.31875"), D("80")) == D("1.06")  # 1.055
    assert trader_share(D("-50.00"), D("80")) == D("0.00")


def test_a_reset_time_carrying_fold_1_is_the_same_wall_time():
    """Found by the property test: 02:00 with fold=1 in the skipped hour of 14 March 2010."""
    ny = ZoneInfo("America/New_York")
    instant = datetime(2010, 3, 13, 7, 0, tzinfo=UTC)
    plain, folded = time(2, 0), time(2, 0, fold=1)

    following = next_reset_at(instant, ny, folded)

    assert following == next_reset_at(instant, ny, plain)
    assert trading_day_key(following, ny, folded) == trading_day_key(
        instant, ny, plain
    ) + timedelta(days=1)
