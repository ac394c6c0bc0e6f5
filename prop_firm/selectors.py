"""Reads for the API, the admin and the rule engine: set-based querysets, no writes."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from alpacabackend.api.errors import NotFound
from alpacabackend.money import to_cents
from paper_trading.selectors import ACCOUNT_LIST_ORDER
from prop_firm import rules
from prop_firm.models import (
    AccountActivity,
    AccountStatus,
    EquitySnapshot,
    PlanPhase,
    PropFirmAccount,
    PropFirmPlan,
    RuleViolation,
)
from prop_firm.services.stages import account_rules, floor_rules
from prop_firm.services.trading_day import day_key, next_reset_at


def plan_list(*, active_only: bool = True) -> QuerySet[PropFirmPlan]:
    plans = PropFirmPlan.objects.prefetch_related(
        Prefetch("extra_phases", queryset=PlanPhase.objects.order_by("number"))
    ).order_by("starting_balance", "id")
    return plans.filter(is_active=True) if active_only else plans


def accounts_with_trade_counts(accounts: QuerySet) -> QuerySet:
    """Accounts annotated with the win/loss counts every account list shows (one query)."""
    return accounts.annotate(
        total_winning_trades=Count(
            "trades", filter=Q(trades__status="CLOSED", trades__realized_pl__gt=0)
        ),
        total_losing_trades=Count(
            "trades", filter=Q(trades__status="CLOSED", trades__realized_pl__lt=0)
        ),
    )


def account_list(*, user, status: str | None = None, stage: str | None = None) -> QuerySet:
    """The user's accounts, newest first, with what the list shows (plan, win/loss counts)."""
    accounts = accounts_with_trade_counts(
        PropFirmAccount.objects.filter(user=user).select_related("plan")
    ).order_by(*ACCOUNT_LIST_ORDER)
    if status:
        accounts = accounts.filter(status=status)
    if stage:
        accounts = accounts.filter(stage=stage)
    return accounts


def account_get(*, user, account_id) -> PropFirmAccount | None:
    """One of the user's accounts (None for another user's: the API answers 404)."""
    return (
        account_list(user=user)
        .select_related("previous_account", "next_account")
        .prefetch_related(Prefetch("plan__extra_phases"))
        .filter(pk=account_id)
        .first()
    )


def account_of_user(*, user, account_id) -> PropFirmAccount:
    """The user's account, for an action on it; another user's (or none) answers 404."""
    account = (
        PropFirmAccount.objects.select_related("plan", "user")
        .filter(user=user, pk=account_id)
        .first()
    )
    if account is None:
        raise NotFound("Account not found.", code="ACCOUNT_NOT_FOUND")
    return account


def account_activities(*, account: PropFirmAccount) -> QuerySet[AccountActivity]:
    return account.activities.select_related("actor").order_by("-created_at", "-id")


def account_violations(*, account: PropFirmAccount) -> QuerySet[RuleViolation]:
    return account.violations.order_by("-occurred_at", "-id")


def account_equity_points(*, account: PropFirmAccount) -> QuerySet[EquitySnapshot]:
    return account.equity_snapshots.order_by("at")


# --------------------------------------------------------------------------------------
# Numbers shown for an account
# --------------------------------------------------------------------------------------

_ZERO = Decimal("0")
_HUNDRED = Decimal("100")


def _pnl(account: PropFirmAccount, equity: Decimal) -> dict:
    if account.activated_at is None:
        return {"profit_earned": _ZERO, "total_pnl": _ZERO, "pnl_percentage": _ZERO}
    b0 = account.starting_balance
    total = equity - b0
    return {
        "profit_earned": to_cents(account.current_balance - b0),
        "total_pnl": to_cents(total),
        "pnl_percentage": to_cents(total * _HUNDRED / b0),
    }


def account_days_active(account: PropFirmAccount, now: datetime | None = None) -> int:
    """Calendar days since activation, the day of activation counting as day 1; 0 before."""
    if account.activated_at is None:
        return 0
    return ((now or timezone.now()) - account.activated_at).days + 1


def _shown(value):
    """An objective's figure as API.md shows numbers: money as a string, counts as ints."""
    if isinstance(value, Decimal):
        return str(to_cents(value))
    return value


def account_row(account: PropFirmAccount) -> dict:
    """What the account list shows, from the marks stored by the last sweep or fill."""
    plan_rules = floor_rules(account)
    daily_floor = rules.daily_loss_floor(
        plan_rules, sod_balance=account.sod_balance, sod_equity=account.sod_equity
    )
    can_trade = (
        account.status == AccountStatus.ACTIVE
        and account.equity > daily_floor
        and account.equity > account.max_loss_floor
    )
    return {
        "account": account,
        "can_trade": can_trade,
        "days_active": account_days_active(account),
        **_pnl(account, account.equity),
    }


def account_detail(*, account: PropFirmAccount, now: datetime | None = None) -> dict:
    """The live numbers of RULES.md's last section, marked to the latest quotes (reads
    only: the sweep and `refresh_balance` are what store and act)."""
    from prop_firm.services.rule_engine import account_evaluate, account_quotes_refresh

    now = now or timezone.now()
    if account.activated_at is None:
        # Not funded yet: the rules as they will apply from the first day.
        plan_rules = account_rules(account)
        evaluation = rules.evaluate(
            plan_rules,
            rules.AccountState.at_stage_start(plan_rules, started_at=now, status=account.status),
            {},
            now,
        )
        equity = unrealized = _ZERO
    else:
        account_quotes_refresh(account=account)
        evaluation, _ = account_evaluate(account=account, now=now)
        equity, unrealized = to_cents(evaluation.equity), to_cents(evaluation.unrealized_pl)
    b0 = account.starting_balance
    max_floor = max(account.max_loss_floor, to_cents(evaluation.max_loss_floor))
    anchor = evaluation.daily_loss_anchor
    return {
        "account": account,
        "equity": equity,
        "unrealized_pl": unrealized,
        "can_trade": evaluation.can_trade and account.activated_at is not None,
        "high_water_mark": max(account.peak_equity, to_cents(evaluation.peak_equity)),
        "daily_loss": to_cents(max(anchor - equity, _ZERO)) if account.activated_at else _ZERO,
        "total_loss": to_cents(max(b0 - equity, _ZERO)) if account.activated_at else _ZERO,
        "daily_loss_floor": to_cents(evaluation.daily_loss_floor),
        "max_loss_floor": max_floor,
        "daily_loss_room": to_cents(equity - evaluation.daily_loss_floor),
        "max_loss_room": to_cents(equity - max_floor),
        "next_reset_at": next_reset_at(now),
        "prices_stale": evaluation.stale,
        "objectives": [
            {
                "rule": o.rule,
                "label": o.label,
                "target": _shown(o.target),
                "current": _shown(o.current),
                "met": o.met,
            }
            for o in evaluation.objectives
        ],
        "violations": list(account_violations(account=account)),
        "recent_activities": list(account_activities(account=account)[:10]),
        "days_active": account_days_active(account, now),
        **_pnl(account, equity),
    }


def account_statistics(*, account: PropFirmAccount) -> dict:
    """The seed's statistics and more, from the account's trades and equity points.

    A trade is what the trader opened: the pieces a partial close split off count as one
    trade with the original, whose result is the sum of its pieces once it is fully closed.
    Losses (`total_loss`, `average_loss`) are positive amounts; `profit_earned` is B − B0, as
    on the account.
    """
    from paper_trading.models import Trade

    pieces = Trade.objects.filter(account=account, status__in=("OPEN", "CLOSED")).values_list(
        "id", "split_from_id", "status", "realized_pl", "exit_at"
    )
    root_of: dict[int, int] = {}
    trades: dict[int, dict] = {}
    for trade_id, split_from_id, status, pnl, exit_at in sorted(pieces):
        root = root_of.get(split_from_id, split_from_id) if split_from_id else trade_id
        root_of[trade_id] = root
        trade = trades.setdefault(root, {"open": False, "pnl": _ZERO, "exits": []})
        if status == "OPEN":
            trade["open"] = True
        else:
            trade["pnl"] += pnl or _ZERO
            trade["exits"].append((exit_at, pnl or _ZERO))
    closed = [trade["pnl"] for trade in trades.values() if not trade["open"]]
    wins = [pnl for pnl in closed if pnl > 0]
    losses = [pnl for pnl in closed if pnl < 0]
    gross_win = sum(wins, _ZERO)
    gross_loss = -sum(losses, _ZERO)
    days: dict = defaultdict(lambda: _ZERO)
    for trade in trades.values():
        for exit_at, pnl in trade["exits"]:
            if exit_at is not None:
                days[day_key(exit_at)] += pnl
    best = max(days.items(), key=lambda item: item[1]) if days else None
    worst = min(days.items(), key=lambda item: item[1]) if days else None
    funded = account.activated_at is not None
    now = timezone.now()
    return {
        "total_trades": len(trades),
        "open_trades": len(trades) - len(closed),
        "closed_trades": len(closed),
        "winning_trades": len(wins),
        "losing_trades": len(losses),
        "win_rate": to_cents(Decimal(len(wins)) * _HUNDRED / len(closed)) if closed else _ZERO,
        "total_pnl": to_cents(account.equity - account.starting_balance) if funded else _ZERO,
        "profit_earned": (
            to_cents(account.current_balance - account.starting_balance) if funded else _ZERO
        ),
        "gross_profit": to_cents(gross_win),
        "total_loss": to_cents(gross_loss),
        "net_realized_pnl": to_cents(sum(days.values(), _ZERO)),
        "trading_days": account.trading_days,
        "days_active": account_days_active(account, now),
        "average_win": to_cents(gross_win / len(wins)) if wins else _ZERO,
        "average_loss": to_cents(gross_loss / len(losses)) if losses else _ZERO,
        "profit_factor": to_cents(gross_win / gross_loss) if gross_loss else None,
        "best_day": {"day": best[0], "pnl": to_cents(best[1])} if best else None,
        "worst_day": {"day": worst[0], "pnl": to_cents(worst[1])} if worst else None,
        **_max_drawdown(account),
    }


def _max_drawdown(account: PropFirmAccount) -> dict:
    """Largest fall of equity from a previous peak, over the equity points and the balance
    after every ledger entry (closed trades move B between points). Withdrawn profit is added
    back: a payout is not a drawdown."""
    from paper_trading.models import LedgerEntry

    withdrawal_kinds = ("PAYOUT", "PAYOUT_REVERSAL")
    entries = list(
        LedgerEntry.objects.filter(account=account).values_list(
            "created_at", "balance_after", "kind", "amount"
        )
    )
    withdrawals = sorted(
        (at, -amount) for at, _, kind, amount in entries if kind in withdrawal_kinds
    )
    points = list(account.equity_snapshots.values_list("at", "equity"))
    points += [(at, balance) for at, balance, _, _ in entries]
    points.sort(key=lambda point: point[0])
    if account.activated_at is not None:
        points.append((timezone.now(), account.equity))
    peak = None
    worst = _ZERO
    worst_pct = _ZERO
    withdrawn = _ZERO
    next_withdrawal = 0
    for at, value in points:
        while next_withdrawal < len(withdrawals) and withdrawals[next_withdrawal][0] <= at:
            withdrawn += withdrawals[next_withdrawal][1]
            next_withdrawal += 1
        value += withdrawn
        if peak is None or value > peak:
            peak = value
        drawdown = peak - value
        if drawdown > worst:
            worst = drawdown
            worst_pct = drawdown * _HUNDRED / peak if peak else _ZERO
    return {"max_drawdown": to_cents(worst), "max_drawdown_pct": to_cents(worst_pct)}


def account_equity_curve(*, account: PropFirmAccount, interval: str = "day") -> list[dict]:
    """Points `{time, balance, equity}` for a chart: the last equity point of each trading
    day (interval `day`) or clock hour (`hour`), and the latest marks as the final point."""
    if interval == "day":
        bucket = day_key
    else:

        def bucket(at):
            return at.replace(minute=0, second=0, microsecond=0)

    last: dict = {}
    for point in account_equity_points(account=account):
        last[bucket(point.at)] = point
    curve = [
        {"time": point.at, "balance": point.balance, "equity": point.equity}
        for point in last.values()
    ]
    if account.activated_at is not None and account.last_marked_at is not None:
        latest = {
            "time": max(
                account.last_marked_at, curve[-1]["time"] if curve else account.last_marked_at
            ),
            "balance": account.current_balance,
            "equity": account.equity,
        }
        if not curve or bucket(curve[-1]["time"]) != bucket(latest["time"]):
            curve.append(latest)
        else:
            curve[-1] = latest
    return curve
