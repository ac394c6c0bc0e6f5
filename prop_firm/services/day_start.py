"""The start-of-day snapshot (RULES.md "The trading day"): SOD_B, SOD_E, EOD_HWM and the
max-loss floor of the new day, which belong to the day key, not to the time they are taken.

Whoever values or moves an account first on or after the reset instant takes it (the daily
reset task, the sweep, the pre-trade check, the per-account check, payouts and credit-backs:
`day_start_marks_ensure`); readers compute it without writing (`day_start_marks_preview`).
So every mark, floor and verdict is the same whether the reset task runs at 17:00:00 or an
hour later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from alpacabackend.money import to_cents
from core.quotes import Quote as MarketQuote
from core.quotes import quotes_get
from paper_trading.services.ledger import account_unsaved_flush
from prop_firm import rules
from prop_firm.models import AccountStatus, PropFirmAccount
from prop_firm.services.stages import PlanRulesCache
from prop_firm.services.trading_day import day_key, day_started_at

ACTIVE = AccountStatus.ACTIVE
_ZERO = Decimal("0")


def day_start_snapshots_take(
    *, now: datetime, account_ids: Iterable[int], plans: PlanRulesCache | None = None
) -> int:
    """Takes the start-of-day snapshot (SOD_B, SOD_E, EOD_HWM, F_t) of those of `account_ids`
    that are active and not yet snapshotted for the day key of `now`; returns how many.

    The snapshot belongs to the day key, not to the time it is taken (see `_day_start_marks`).
    `sod_day` guards against taking it twice, so any caller may take it: the daily reset
    task, the sweep, the pre-trade check, the per-account check and the payout flows all do,
    and none judges or moves an account's marks against yesterday's.
    """

    today = day_key(now)
    started = day_started_at(today)
    plans = plans or PlanRulesCache()
    with transaction.atomic():
        return _day_start_snapshots_locked(
            now=now, today=today, started=started, account_ids=account_ids, plans=plans
        )


_DAY_START_FIELDS = (
    "id",
    "plan_id",
    "stage",
    "phase",
    "current_balance",
    "equity",
    "unrealized_pl",
    "last_marked_at",
    "eod_hwm",
    "peak_equity",
    "max_loss_floor",
    "starting_balance",
)


def _positions_at(account_ids: list[int], started: datetime) -> dict[int, list[tuple]]:
    """The positions each account held at the instant `started`: trades filled before it
    and still open, or closed since (a partial close leaves its closed piece, with the same
    entry, beside the open rest). One query; (PositionState, exit price or None) per trade."""
    from django.db.models import Q

    from paper_trading.models import Trade

    rows = (
        Trade.objects.filter(account_id__in=account_ids, entry_at__lt=started)
        .filter(Q(status="OPEN") | Q(status="CLOSED", exit_at__gte=started))
        .values_list(
            "account_id", "asset__symbol", "direction", "quantity", "entry_price", "exit_price"
        )
    )
    held: dict[int, list[tuple]] = defaultdict(list)
    for account_id, symbol, direction, quantity, entry, exit_price in rows:
        held[account_id].append(
            (rules.PositionState(symbol, direction, quantity, entry or _ZERO), exit_price)
        )
    return held


def _held_pl(held: list[tuple], quotes: Mapping[str, MarketQuote]) -> Decimal | None:
    """U of the positions held at the reset, with the quotes of this valuation (a position
    closed since, whose symbol has no quote, at its exit price); None when a price is
    missing."""
    from prop_firm.services.rule_engine import rule_quotes

    engine_quotes = rule_quotes(quotes)
    total = _ZERO
    for position, exit_price in held:
        price = rules.liquidation_price(position, engine_quotes.get(position.symbol))
        price = price or exit_price
        if price is None:
            return None
        total += rules.position_pl(position, price)
    return total


def _day_start_marks(*, rows, started, plans, quotes=None) -> list[PropFirmAccount]:
    """The new day's marks of `rows` (`_DAY_START_FIELDS` values), unsaved.

    RULES.md "The trading day": SOD_B is the balance at the reset instant (the current
    balance minus the trading entries posted since). SOD_E is the equity at the reset: SOD_B
    plus the positions held at that instant, valued with the quotes of this valuation, the
    first one on or after the instant (the reset task, a sweep, a fill or a payout: every
    path takes the snapshot before it moves anything). A mark stored before the instant is
    never used: it may be hours old (issue 12 item 10). Only when a held position has no
    price at all does the last stored mark stand in. EOD_HWM is raised to SOD_B.
    """
    from paper_trading.models import LedgerEntry

    ids = [row[0] for row in rows]
    since = dict(
        LedgerEntry.objects.filter(account_id__in=ids, created_at__gte=started)
        # A withdrawal is not a trading result: the payout already moved the marks by P,
        # and adding it back would anchor the new day's floor P too high.
        .exclude(kind__in=("PAYOUT", "PAYOUT_REVERSAL"))
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    held = _positions_at(ids, started)
    if quotes is None:
        symbols = {position.symbol for items in held.values() for position, _ in items}
        quotes = quotes_get(sorted(symbols)) if symbols else {}
    plans.load({row[1] for row in rows})
    updates = []
    for (
        account_id,
        plan_id,
        stage,
        phase,
        balance,
        equity,
        unrealized,
        marked_at,
        eod_hwm,
        peak,
        floor,
        starting_balance,
    ) in rows:
        sod_balance = balance - since.get(account_id, _ZERO)
        held_pl = _held_pl(held.get(account_id, []), quotes)
        if held_pl is not None:
            sod_equity = sod_balance + held_pl
        elif marked_at is not None and marked_at <= started:
            sod_equity = equity
        else:
            sod_equity = sod_balance + unrealized
        marks = rules.day_start_marks(balance=sod_balance, equity=sod_equity, eod_hwm=eod_hwm)
        new_floor = rules.max_loss_floor(
            plans.get(plan_id, stage, phase, starting_balance),
            eod_hwm=marks.eod_hwm,
            peak_equity=peak,
        )
        updates.append(
            PropFirmAccount(
                id=account_id,
                sod_balance=to_cents(marks.sod_balance),
                sod_equity=to_cents(marks.sod_equity),
                eod_hwm=to_cents(marks.eod_hwm),
                max_loss_floor=max(floor, to_cents(new_floor)),
            )
        )
    return updates


DAY_START_MARKS = ("sod_balance", "sod_equity", "eod_hwm", "max_loss_floor", "sod_day")


def _day_start_snapshots_locked(*, now, today, started, account_ids, plans) -> int:
    # Rows another transaction holds (a fill, a payout) are skipped, not overwritten: they
    # are snapshotted by the next run or by their own per-account check.
    due = (
        PropFirmAccount.objects.filter(pk__in=list(account_ids), status=ACTIVE)
        .exclude(sod_day__gte=today)
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))
    )
    rows = list(due.values_list(*_DAY_START_FIELDS))
    if not rows:
        return 0
    updates = _day_start_marks(rows=rows, started=started, plans=plans)
    for update in updates:
        update.sod_day = today
    PropFirmAccount.objects.filter(status=ACTIVE).exclude(sod_day__gte=today).bulk_update(
        updates, list(DAY_START_MARKS), batch_size=len(updates)
    )
    return len(updates)


def day_start_marks_due(*, account: PropFirmAccount, now: datetime) -> bool:
    return account.status == ACTIVE and (account.sod_day is None or account.sod_day < day_key(now))


def day_start_marks_preview(
    *, account: PropFirmAccount, now: datetime, quotes: Mapping[str, MarketQuote] | None = None
) -> None:
    """Sets on `account` (in memory, nothing saved) the new day's marks the reset will
    take, when it has not taken them yet: readers (the account detail) show today's floors
    from the reset instant on, not yesterday's (issue 12 item 12)."""
    if not day_start_marks_due(account=account, now=now):
        return
    today = day_key(now)
    row = tuple(getattr(account, name) for name in _DAY_START_FIELDS)
    (update,) = _day_start_marks(
        rows=[row], started=day_started_at(today), plans=PlanRulesCache(), quotes=quotes
    )
    for name in DAY_START_MARKS[:-1]:
        setattr(account, name, getattr(update, name))
    account.sod_day = today


def day_start_marks_ensure(*, account: PropFirmAccount, now: datetime) -> None:
    """Takes the new day's snapshot of a locked `account` if due and reloads its marks:
    called first by everything that judges or moves them (pre-trade check, per-account
    check, payouts and credit-backs), so the result never depends on when the reset task
    runs (RULES.md "Independence from the task's timing")."""
    if day_start_marks_due(account=account, now=now):
        # The snapshot reads the stored balance beside the ledger: a balance the order path
        # has not written yet (a close before the first check of the day) is written first.
        account_unsaved_flush(account)
        day_start_snapshots_take(now=now, account_ids=[account.pk])
        account.refresh_from_db(fields=list(DAY_START_MARKS))
