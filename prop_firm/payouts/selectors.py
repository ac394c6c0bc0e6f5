"""Reads of payouts: eligibility (RULES.md "Payouts"), the trader's list, the staff list."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from alpacabackend.api.errors import NotFound
from prop_firm import rules
from prop_firm.models import PropFirmAccount
from prop_firm.payouts.models import (
    OPEN_STATUSES,
    WITHDRAWN_STATUSES,
    ConnectedAccount,
    Payout,
    PayoutMethod,
)
from prop_firm.services.trading_day import day_key

_ZERO = Decimal("0")


PAYOUT_STRIPE_ENABLED = "STRIPE_PAYOUTS_ENABLED"


def connect_payout_check(*, user) -> rules.Check:
    """The extra condition of a payout by Stripe: the trader's own connected account is the
    destination and Stripe has enabled its payouts."""
    record = ConnectedAccount.objects.filter(user=user).first()
    label = "Stripe payouts enabled on your connected account"
    if record is None or record.stripe_account_id != user.stripe_account_id:
        return rules.Check(
            PAYOUT_STRIPE_ENABLED,
            label,
            False,
            "Set up your Stripe payout account first (Payouts, Connect with Stripe).",
        )
    if not record.payouts_enabled:
        due = ", ".join(record.requirements_currently_due or []) or "nothing listed yet"
        return rules.Check(
            PAYOUT_STRIPE_ENABLED,
            label,
            False,
            f"Stripe has not enabled payouts on your account yet: finish onboarding "
            f"(still due: {due}).",
        )
    return rules.Check(
        PAYOUT_STRIPE_ENABLED, label, True, f"Stripe pays out to {record.stripe_account_id}."
    )


def payout_eligibility(
    *, account: PropFirmAccount, now: datetime | None = None, payment_method: str | None = None
) -> rules.PayoutEligibility:
    """Every payout condition with its own verdict, the amounts and the next eligible date;
    with `payment_method="stripe"`, also whether Stripe pays out to the trader's account.

    Inputs come from the account row as given (the request service passes the locked row),
    its trades (open positions, pending orders, first fill, daily profits since the last
    payout) and its payouts. Four queries (five for Stripe); the verdicts are the pure
    `rules.payout_checks`.
    """
    from paper_trading.models import Trade

    now = now or timezone.now()
    trades = Trade.objects.filter(account=account).aggregate(
        open_positions=Count("id", filter=Q(status="OPEN")),
        pending_orders=Count("id", filter=Q(status="PENDING")),
        first_fill_at=Min("entry_at", filter=Q(entry_at__isnull=False)),
    )
    payouts = Payout.objects.filter(account=account).aggregate(
        last_payout_at=Max("requested_at", filter=Q(status__in=WITHDRAWN_STATUSES)),
        open_payouts=Count("id", filter=Q(status__in=OPEN_STATUSES)),
    )
    last_payout_at = payouts["last_payout_at"]
    closed = Trade.objects.filter(account=account, status="CLOSED", exit_at__isnull=False)
    if last_payout_at is not None:
        closed = closed.filter(exit_at__gt=last_payout_at)
    daily_profits: dict = {}
    for exit_at, pnl in closed.values_list("exit_at", "realized_pl"):
        key = day_key(exit_at)
        daily_profits[key] = daily_profits.get(key, _ZERO) + (pnl or _ZERO)

    plan = account.plan
    # B0 is the account's own (a plan edited later never changes a running stage's P).
    plan_rules = rules.PlanRules(
        starting_balance=account.starting_balance,
        max_daily_loss=plan.max_daily_loss,
        max_total_loss=plan.max_total_loss,
        consistency_pct=plan.consistency_pct,
    )
    state = rules.AccountState(
        balance=account.current_balance,
        sod_balance=account.sod_balance,
        sod_equity=account.sod_equity,
        eod_hwm=account.eod_hwm,
        peak_equity=account.peak_equity,
        stage_started_at=account.stage_started_at or account.activated_at or now,
        daily_profits=daily_profits,
        status=account.status,
        stage=account.stage,
    )
    first_fill_at = account.first_fill_at or trades["first_fill_at"]
    eligibility = rules.payout_checks(
        plan_rules,
        state,
        now,
        last_payout_at=last_payout_at,
        first_funded_fill_at=first_fill_at,
        profit_split=plan.profit_split,
        min_payout_amount=plan.min_payout_amount,
        payout_frequency_days=plan.payout_frequency_days,
        has_pending_payout=payouts["open_payouts"] > 0,
        open_positions=trades["open_positions"],
        pending_orders=trades["pending_orders"],
    )
    if payment_method != PayoutMethod.STRIPE:
        return eligibility
    checks = (*eligibility.checks, connect_payout_check(user=account.user))
    return replace(eligibility, checks=checks, eligible=all(c.ok for c in checks))


def _with_relations(payouts: QuerySet[Payout]) -> QuerySet[Payout]:
    return payouts.select_related("account", "account__user", "account__plan", "reviewer")


def payout_list(
    *, user, status: str | None = None, account_id: int | None = None
) -> QuerySet[Payout]:
    """The user's payouts, newest first. Another user's account answers 404, as everywhere."""
    payouts = _with_relations(Payout.objects.filter(account__user=user))
    if status:
        payouts = payouts.filter(status=status)
    if account_id:
        if not PropFirmAccount.objects.filter(pk=account_id, user=user).exists():
            raise NotFound("Account not found.", code="ACCOUNT_NOT_FOUND")
        payouts = payouts.filter(account_id=account_id)
    return payouts.order_by("-requested_at", "-id")


def payout_get(*, user, payout_id: int) -> Payout | None:
    """One of the user's payouts (None for another user's: the API answers 404)."""
    return _with_relations(Payout.objects.filter(account__user=user, pk=payout_id)).first()


def payout_admin_list(
    *,
    status: str | None = None,
    account_id: int | None = None,
    user_id: int | None = None,
    payment_method: str | None = None,
    search: str = "",
) -> QuerySet[Payout]:
    """Every payout for staff, newest first; `search` matches the account number, the
    trader's email or name, the Stripe transfer id and the reference."""
    payouts = _with_relations(Payout.objects.all())
    if status:
        payouts = payouts.filter(status=status)
    if account_id:
        payouts = payouts.filter(account_id=account_id)
    if user_id:
        payouts = payouts.filter(account__user_id=user_id)
    if payment_method:
        payouts = payouts.filter(payment_method=payment_method)
    if search:
        payouts = payouts.filter(
            Q(account__account_number__icontains=search)
            | Q(account__user__email__icontains=search)
            | Q(account__user__name__icontains=search)
            | Q(stripe_transfer_id__icontains=search)
            | Q(reference__icontains=search)
        )
    return payouts.order_by("-requested_at", "-id")
