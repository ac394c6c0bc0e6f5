"""The per-account path: evaluate, store the marks, and act on a breach, a pass or a warning.

Entered after every fill, on `refresh_balance` and for the accounts a sweep flags; the
account row is locked for the whole check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from alpacabackend.db import row_save
from alpacabackend.money import to_cents
from core.quotes import Quote as MarketQuote
from core.quotes import quotes_get
from paper_trading.services.journal import fills_take, unsaved_take
from prop_firm import rules
from prop_firm.models import (
    PropFirmAccount,
    RuleViolation,
)
from prop_firm.services import lifecycle, notifications
from prop_firm.services.day_start import (
    DAY_START_MARKS,
    day_start_marks_ensure,
    day_start_marks_preview,
)
from prop_firm.services.rule_engine.snapshot import (
    _ZERO,
    ACTIVE,
    RULE_LABELS,
    AccountSnapshot,
    CheckResult,
    _acting,
    _live_state,
    _positions_after_fills,
    account_snapshot_live,
    account_snapshot_load,
    fill_stats_from_history,
    fills_book,
    max_quote_age,
    rule_quotes,
)
from prop_firm.services.stages import account_rules, next_stage
from prop_firm.services.trading_day import day_key


def account_evaluate(
    *, account: PropFirmAccount, now: datetime | None = None
) -> tuple[rules.Evaluation, AccountSnapshot]:
    """The live verdict for an account with the latest quotes. Reads only: nothing is
    written or acted upon (the account detail and the Alpaca API's account show it). Built
    from the running totals, like the order path, so it costs the same at any history."""
    now = now or timezone.now()
    snapshot = account_snapshot_live(account=account)
    quotes = quotes_get(sorted(snapshot.symbols)) if snapshot.symbols else {}
    day_start_marks_preview(account=account, now=now)
    snapshot.state = dataclasses.replace(
        snapshot.state,
        sod_balance=account.sod_balance,
        sod_equity=account.sod_equity,
        eod_hwm=account.eod_hwm,
    )
    plan_rules = account_rules(account)
    evaluation = rules.evaluate(
        plan_rules, snapshot.state, rule_quotes(quotes), now, max_quote_age()
    )
    return evaluation, snapshot


def _apply_marks(account: PropFirmAccount, evaluation: rules.Evaluation, now) -> list[str]:
    """Copies the evaluation's marks onto the account; the fields that changed."""
    marks = {
        "equity": to_cents(evaluation.equity),
        "unrealized_pl": to_cents(evaluation.unrealized_pl),
        "peak_equity": max(account.peak_equity, to_cents(evaluation.peak_equity)),
        "max_loss_floor": max(account.max_loss_floor, to_cents(evaluation.max_loss_floor)),
    }
    changed = [name for name, value in marks.items() if getattr(account, name) != value]
    for name in changed:
        setattr(account, name, marks[name])
    if changed:
        account.last_marked_at = now
        changed.append("last_marked_at")
    return changed


def account_mark(*, account: PropFirmAccount, now: datetime | None = None) -> rules.Evaluation:
    """Re-marks one account to the latest quotes and stores E, U, PEAK_E and F_t (the seed's
    `account.update_balance()`); acts on nothing. `account` is refreshed in place."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        day_start_marks_ensure(account=locked, now=now)
        evaluation, _ = account_evaluate(account=locked, now=now)
        changed = _apply_marks(locked, evaluation, now)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    for name in (
        "current_balance",
        "equity",
        "unrealized_pl",
        "peak_equity",
        "max_loss_floor",
        *DAY_START_MARKS,
    ):
        setattr(account, name, getattr(locked, name))
    account.last_marked_at = locked.last_marked_at
    return evaluation


def account_quotes_refresh(*, account: PropFirmAccount | int) -> None:
    """Fresh quotes for the account's open positions before it is marked: with no stream or
    poll running (the embedded default) the cache would otherwise only hold stale prices.
    Skipped inside a transaction, where no network call may happen."""
    from core.services.quotes import quotes_ensure_fresh
    from paper_trading.models import Trade

    if transaction.get_connection().in_atomic_block:
        return
    symbols = (
        Trade.objects.filter(account=account, status="OPEN")
        .values_list("asset__symbol", flat=True)
        .distinct()
    )
    quotes_ensure_fresh(list(symbols))


def account_check(
    *, account: PropFirmAccount | int, now: datetime | None = None, actor=None
) -> CheckResult:
    """Locks the account, re-marks it and acts on what RULES.md says (breach, pass, warning)."""
    account_id = account if isinstance(account, int) else account.pk
    account_quotes_refresh(account=account_id)
    with transaction.atomic():
        locked = (
            PropFirmAccount.objects.select_related("plan", "user")
            .select_for_update(of=("self",))
            .get(pk=account_id)
        )
        result = account_check_locked(account=locked, now=now or timezone.now(), actor=actor)
    if not isinstance(account, int):
        account.refresh_from_db()
    return result


def account_check_locked(
    *,
    account: PropFirmAccount,
    now: datetime,
    actor=None,
    fill_recorded: bool = False,
    after_fill: bool = False,
) -> CheckResult:
    """The per-account path. The caller holds the account lock inside a transaction.

    `after_fill` is the order path: the fills just recorded are booked into the running
    totals and the account is judged from them, its open positions and pending orders,
    whatever the length of its history. Otherwise (a sweep's flag, a refresh, the reset)
    the totals are rebuilt from the whole history, which also heals any drift."""
    # The reset task has not reached this account yet: a new day is judged from its own
    # start-of-day marks, never from yesterday's.
    day_start_marks_ensure(account=account, now=now)
    if after_fill:
        snapshot = _positions_after_fills(account)
        changed = fills_book(account)
        if snapshot is None:
            snapshot = account_snapshot_live(account=account)
        else:
            # The totals were booked after the snapshot was built from the row.
            snapshot.state = _live_state(account, snapshot.state.positions, _ZERO)
    else:
        snapshot = account_snapshot_load(account=account)
        changed = _apply_fill_stats(account, snapshot)
    market = quotes_get(sorted(snapshot.symbols)) if snapshot.symbols else {}
    evaluation = rules.evaluate(
        account_rules(account), snapshot.state, rule_quotes(market), now, max_quote_age()
    )
    changed += _apply_marks(account, evaluation, now)
    if changed:
        row_save(account, update_fields=[*changed, "updated_at"])
    result = CheckResult(account=account, evaluation=evaluation)
    if account.status != ACTIVE or account.pk in _acting.get():
        return result
    if evaluation.breaches:
        result.violations = _breach_handle(
            account=account, evaluation=evaluation, quotes=market, now=now, actor=actor
        )
        return result
    if evaluation.passed:
        following = next_stage(account.plan, stage=account.stage, phase=account.phase)
        if following is not None:
            result.next_account = lifecycle.stage_pass_locked(
                account=account, now=now, next_stage=following, actor=actor
            )
            return result
    result.warnings = _warnings_handle(account=account, evaluation=evaluation, now=now)
    return result


def _apply_fill_stats(account: PropFirmAccount, snapshot: AccountSnapshot) -> list[str]:
    fills_take(account)  # the history includes them
    unsaved = unsaved_take(account)
    stats = fill_stats_from_history(account, snapshot)
    rebuilt = [name for name, value in stats.items() if getattr(account, name) != value]
    for name in rebuilt:
        setattr(account, name, stats[name])
    return unsaved + rebuilt


def _breach_handle(
    *,
    account: PropFirmAccount,
    evaluation: rules.Evaluation,
    quotes: Mapping[str, MarketQuote],
    now: datetime,
    actor=None,
) -> list[RuleViolation]:
    """RULES.md "A hard breach is handled in one database transaction": violations with
    their inputs, every pending order cancelled and position closed at the liquidation price,
    FAILED with the reason, activity; email after commit."""
    existing = set(account.violations.values_list("violation_type", flat=True))
    violations = [
        RuleViolation.objects.create(
            account=account,
            violation_type=breach.rule,
            description=breach.description,
            threshold_value=to_cents(breach.threshold),
            actual_value=to_cents(breach.actual),
            prices={symbol: str(price) for symbol, price in breach.prices.items()},
            occurred_at=breach.at,
        )
        for breach in evaluation.breaches
        if breach.rule not in existing
    ]
    reason = " ".join(breach.description for breach in evaluation.breaches)
    token = _acting.set(_acting.get() | {account.pk})
    try:
        lifecycle.liquidate(account=account, reason=reason, quotes=dict(quotes))
    finally:
        _acting.reset(token)
    account.refresh_from_db()
    lifecycle.fail_locked(account=account, reason=reason, now=now, actor=actor)
    for breach in evaluation.breaches:
        notifications.notify(
            notifications.BREACH,
            account,
            rule_label=RULE_LABELS[breach.rule],
            description=breach.description,
            threshold=str(to_cents(breach.threshold)),
            actual=str(to_cents(breach.actual)),
            prices=", ".join(f"{s} {p}" for s, p in breach.prices.items()) or "none",
            occurred_at=breach.at.isoformat(),
        )
    return violations


def _warnings_handle(
    *, account: PropFirmAccount, evaluation: rules.Evaluation, now: datetime
) -> list[str]:
    """One warning activity (and email) per rule per trading day at 80% of the room used."""
    today = day_key(now)
    written = []
    for warning in evaluation.warnings:
        field_name = _WARNED_FIELD[warning.rule]
        if getattr(account, field_name) == today:
            continue
        setattr(account, field_name, today)
        account.save(update_fields=[field_name, "updated_at"])
        floor = (
            evaluation.daily_loss_floor
            if warning.rule == rules.DAILY_LOSS
            else evaluation.max_loss_floor
        )
        lifecycle.activity_record(
            account=account,
            kind=lifecycle.WARNING,
            message=(
                f"{RULE_LABELS[warning.rule].capitalize()} room {warning.used_pct}% used: "
                f"equity ${to_cents(evaluation.equity)}, floor ${to_cents(floor)}."
            ),
            after={
                "rule": warning.rule,
                "day": today.isoformat(),
                "used_pct": str(warning.used_pct),
                "equity": str(to_cents(evaluation.equity)),
                "floor": str(to_cents(floor)),
            },
        )
        notifications.notify(
            notifications.WARNING,
            account,
            rule_label=RULE_LABELS[warning.rule],
            used_pct=str(warning.used_pct),
            equity=str(to_cents(evaluation.equity)),
            floor=str(to_cents(floor)),
        )
        written.append(warning.rule)
    return written


_WARNED_FIELD = {
    rules.DAILY_LOSS: "daily_loss_warned_day",
    rules.TOTAL_LOSS: "max_loss_warned_day",
}


class RuleEngine:
    """The seed's ops door: `RuleEngine(account).check_all_rules()` in `manage.py shell`."""

    def __init__(self, account: PropFirmAccount):
        self.account = account

    def check_all_rules(self) -> list[RuleViolation]:
        """Re-marks and judges the account now; the violations this check recorded."""
        return account_check(account=self.account).violations
