"""The account's state machine: every status change, in a transaction, with its audit row.

PENDING → ACTIVE (payment) | CLOSED
ACTIVE → PASSED (objectives met) | FAILED (hard rule) | SUSPENDED | CLOSED
SUSPENDED → ACTIVE (reinstate) | FAILED | CLOSED
PASSED, FAILED and CLOSED are final: a passed stage continues as a *new* account.

Every transition locks the account row (`select_for_update`), checks the move is allowed,
writes the account and one `AccountActivity` (who, what, before/after) and schedules side
effects with `transaction.on_commit`.
"""

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput, StateConflict
from alpacabackend.money import to_cents
from prop_firm import rules
from prop_firm.models import (
    AccountActivity,
    AccountStage,
    AccountStatus,
    EquitySnapshot,
    PropFirmAccount,
    PropFirmPlan,
)
from prop_firm.services import notifications
from prop_firm.services.stages import Stage, account_rules, plan_stages
from prop_firm.services.trading_day import day_key

S = AccountStatus
ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.CLOSED}),
    S.ACTIVE: frozenset({S.PASSED, S.FAILED, S.SUSPENDED, S.CLOSED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.FAILED, S.CLOSED}),
    S.PASSED: frozenset(),
    S.FAILED: frozenset(),
    S.CLOSED: frozenset(),
}

# Activity kinds.
CREATED = "CREATED"
ACTIVATED = "ACTIVATED"
SUSPENDED = "SUSPENDED"
REINSTATED = "REINSTATED"
FAILED = "FAILED"
CLOSED = "CLOSED"
PASSED = "PASSED"
STAGE_OPENED = "STAGE_OPENED"
WARNING = "WARNING"
DAILY_RESET = "DAILY_RESET"

_NUMBER_ATTEMPTS = 10


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, frozenset())


def activity_record(
    *,
    account: PropFirmAccount,
    kind: str,
    message: str,
    actor=None,
    before: dict | None = None,
    after: dict | None = None,
) -> AccountActivity:
    return AccountActivity.objects.create(
        account=account,
        actor=actor,
        kind=kind,
        message=message,
        before=before or {},
        after=after or {},
    )


def _require_transition(account: PropFirmAccount, target: str) -> None:
    if not can_transition(account.status, target):
        raise StateConflict(
            f"Account {account.account_number} is {account.status.lower()} and cannot become "
            f"{target.lower()}.",
            code="INVALID_TRANSITION",
        )


def _status_change(
    *, account: PropFirmAccount, target: str, kind: str, message: str, actor=None, **fields
) -> AccountActivity:
    """Moves a locked account to `target` (checked against ALLOWED) and audits it."""
    _require_transition(account, target)
    before = {"status": account.status}
    account.status = target
    for name, value in fields.items():
        setattr(account, name, value)
    account.save(update_fields=["status", *fields, "updated_at"])
    after = {"status": target}
    if "failure_reason" in fields:
        after["reason"] = fields["failure_reason"]
    return activity_record(
        account=account, kind=kind, message=message, actor=actor, before=before, after=after
    )


def _locked(account: PropFirmAccount) -> PropFirmAccount:
    return (
        PropFirmAccount.objects.select_related("plan")
        .select_for_update(of=("self",))
        .get(pk=account.pk)
    )


def _new_account_number() -> str:
    return f"PA{secrets.randbelow(10**8):08d}"


def _account_insert(**fields) -> PropFirmAccount:
    """Inserts an account under a fresh random `PA` + 8 digits number; a collision (unique
    constraint) is retried with another number inside a savepoint."""
    for _ in range(_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return PropFirmAccount.objects.create(
                    account_number=_new_account_number(), **fields
                )
        except IntegrityError:
            continue
    raise StateConflict("Could not allocate an account number; please try again.")


def account_create_pending(*, user, plan: PropFirmPlan) -> PropFirmAccount:
    """A new account awaiting payment, in the plan's first stage (no money yet)."""
    if not plan.is_active:
        raise InvalidInput("This plan is not available.", code="PLAN_NOT_AVAILABLE")
    first = plan_stages(plan)[0]
    with transaction.atomic():
        account = _account_insert(
            user=user,
            plan=plan,
            status=S.PENDING,
            stage=first.stage,
            phase=first.phase,
            starting_balance=plan.starting_balance,
        )
        activity_record(
            account=account,
            kind=CREATED,
            actor=user,
            message=f"Account created for {plan.name}, awaiting payment.",
            after={"status": S.PENDING, "stage": first.stage, "phase": first.phase},
        )
    return account


def _open_stage(*, account: PropFirmAccount, now, actor=None) -> None:
    """Funds a locked account with B0 and starts its stage: DEPOSIT in the ledger, every mark
    at B0 (RULES: SOD_B = SOD_E = EOD_HWM = PEAK_E = B0), the first equity point."""
    from paper_trading.services.ledger import ledger_post

    b0 = account.starting_balance
    ledger_post(
        account=account,
        kind="DEPOSIT",
        amount=b0,
        reference=f"stage:{account.stage.lower()}:{account.phase}",
        memo="Starting balance",
        created_by=actor,
    )
    plan_rules = account_rules(account)
    account.equity = account.sod_balance = account.sod_equity = b0
    account.eod_hwm = account.peak_equity = b0
    account.unrealized_pl = Decimal("0.00")
    account.max_loss_floor = to_cents(rules.max_loss_floor(plan_rules, eod_hwm=b0, peak_equity=b0))
    account.sod_day = day_key(now)
    account.stage_started_at = now
    account.last_marked_at = now
    account.equity_snapshot_at = now
    account.save(
        update_fields=[
            "equity",
            "sod_balance",
            "sod_equity",
            "eod_hwm",
            "peak_equity",
            "unrealized_pl",
            "max_loss_floor",
            "sod_day",
            "stage_started_at",
            "last_marked_at",
            "equity_snapshot_at",
            "updated_at",
        ]
    )
    EquitySnapshot.objects.create(account=account, at=now, balance=b0, equity=b0)


def account_activate(*, account: PropFirmAccount, actor=None) -> PropFirmAccount:
    """PENDING → ACTIVE once paid: DEPOSIT of B0, SOD snapshot = B0, activity, email.

    Idempotent: an account already activated is returned unchanged (a webhook and the
    browser's verify call may both arrive)."""
    with transaction.atomic():
        locked = _locked(account)
        if locked.activated_at is not None:
            return locked
        now = timezone.now()
        _status_change(
            account=locked,
            target=S.ACTIVE,
            kind=ACTIVATED,
            actor=actor,
            message=f"Payment received; account active with ${locked.starting_balance}.",
            activated_at=now,
            payment_completed_at=locked.payment_completed_at or now,
        )
        _open_stage(account=locked, now=now, actor=actor)
        notifications.notify(notifications.ACTIVATED, locked)
    return locked


def account_suspend(*, account: PropFirmAccount, reason: str, actor=None) -> PropFirmAccount:
    """ACTIVE → SUSPENDED: no new orders, open positions stay (the rule sweep skips it)."""
    _require_reason(reason)
    with transaction.atomic():
        locked = _locked(account)
        _status_change(
            account=locked,
            target=S.SUSPENDED,
            kind=SUSPENDED,
            actor=actor,
            message=f"Suspended: {reason}",
        )
    return locked


def account_reinstate(*, account: PropFirmAccount, reason: str, actor=None) -> PropFirmAccount:
    """SUSPENDED → ACTIVE."""
    _require_reason(reason)
    with transaction.atomic():
        locked = _locked(account)
        if locked.status != S.SUSPENDED:
            raise StateConflict(
                f"Account {locked.account_number} is not suspended.", code="INVALID_TRANSITION"
            )
        _status_change(
            account=locked,
            target=S.ACTIVE,
            kind=REINSTATED,
            actor=actor,
            message=f"Reinstated: {reason}",
        )
    return locked


def account_fail(*, account: PropFirmAccount, reason: str, actor=None) -> PropFirmAccount:
    """ACTIVE or SUSPENDED → FAILED by staff decision: pending orders cancelled and open
    positions closed at the liquidation price, in the same transaction."""
    _require_reason(reason)
    with transaction.atomic():
        locked = _locked(account)
        _require_transition(locked, S.FAILED)
        liquidate(account=locked, reason=reason)
        fail_locked(account=locked, reason=reason, actor=actor, now=timezone.now())
    return locked


def account_close(*, account: PropFirmAccount, reason: str, actor=None) -> PropFirmAccount:
    """PENDING, ACTIVE or SUSPENDED → CLOSED; an account with money is liquidated first."""
    _require_reason(reason)
    with transaction.atomic():
        locked = _locked(account)
        _require_transition(locked, S.CLOSED)
        if locked.activated_at is not None:
            liquidate(account=locked, reason=reason)
        _status_change(
            account=locked,
            target=S.CLOSED,
            kind=CLOSED,
            actor=actor,
            message=f"Closed: {reason}",
            closed_at=timezone.now(),
        )
    return locked


def fail_locked(*, account: PropFirmAccount, reason: str, now, actor=None) -> AccountActivity:
    """Sets a locked account FAILED with its reason (the caller liquidated it)."""
    return _status_change(
        account=account,
        target=S.FAILED,
        kind=FAILED,
        actor=actor,
        message=f"Failed: {reason}",
        failure_reason=reason,
        failed_at=now,
    )


def liquidate(*, account: PropFirmAccount, reason: str, quotes=None) -> None:
    """Cancels pending orders and closes open positions of a locked account at the
    liquidation price (paper trading's service, in the caller's transaction). Flat, the
    account's equity is its balance: the marks say so at once, since a non-active account
    is no longer swept."""
    from paper_trading.services.trades import account_liquidate
    from prop_firm.services.rule_engine import fills_book

    account_liquidate(account=account, quotes=quotes, reason=reason)
    booked = fills_book(account)  # the closes' balance, fill times and profits
    account.equity = account.current_balance
    account.unrealized_pl = Decimal("0.00")
    account.save(update_fields=[*booked, "equity", "unrealized_pl", "updated_at"])


def stage_pass_locked(
    *, account: PropFirmAccount, now, next_stage: Stage, actor=None
) -> PropFirmAccount:
    """ACTIVE → PASSED for a locked, flat account, and the next stage opened as a new ACTIVE
    account (own B0 and DEPOSIT, linked by `previous_account`). Idempotent: the one-to-one
    link means a stage is continued at most once."""
    from paper_trading.services.trades import account_liquidate

    existing = PropFirmAccount.objects.filter(previous_account=account).first()
    if existing is not None:
        return existing
    # The stage is over: its resting orders go with it (it is flat, so nothing else closes).
    account_liquidate(account=account, reason="Cancelled: the stage was passed.")
    _status_change(
        account=account,
        target=S.PASSED,
        kind=PASSED,
        actor=actor,
        message=(
            f"Passed {_stage_name(account)} with a profit of "
            f"${to_cents(account.current_balance - account.starting_balance)}."
        ),
        passed_at=now,
    )
    successor = _account_insert(
        user=account.user,
        plan=account.plan,
        status=S.ACTIVE,
        stage=next_stage.stage,
        phase=next_stage.phase,
        starting_balance=account.plan.starting_balance,
        previous_account=account,
        activated_at=now,
        payment_completed_at=account.payment_completed_at,
    )
    _open_stage(account=successor, now=now, actor=actor)
    activity_record(
        account=successor,
        kind=STAGE_OPENED,
        actor=actor,
        message=f"{next_stage.name} opened after {account.account_number} passed.",
        after={"status": S.ACTIVE, "stage": next_stage.stage, "phase": next_stage.phase},
    )
    activity_record(
        account=account,
        kind=STAGE_OPENED,
        actor=actor,
        message=f"Next stage opened as {successor.account_number}.",
        after={"next_account": successor.account_number},
    )
    notifications.notify(
        notifications.STAGE_PASSED,
        account,
        stage_name=_stage_name(account),
        next_stage_name=next_stage.name,
        next_account_number=successor.account_number,
        next_starting_balance=str(successor.starting_balance),
    )
    return successor


def _stage_name(account: PropFirmAccount) -> str:
    if account.stage == AccountStage.FUNDED:
        return "the funded stage"
    return f"evaluation phase {account.phase}"


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise InvalidInput("A reason is required.", code="REASON_REQUIRED")
