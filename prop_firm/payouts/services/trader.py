"""The trader's side: request a payout (withdraw P under the account's lock) and cancel it
while it is still pending (P credited back)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput, NotFound, StateConflict
from alpacabackend.money import to_cents
from prop_firm.models import PropFirmAccount
from prop_firm.payouts import emails
from prop_firm.payouts.models import Payout, PayoutMethod
from prop_firm.payouts.selectors import payout_eligibility
from prop_firm.payouts.services.common import (
    LEDGER_PAYOUT,
    PAYOUT_CANCELLED,
    PAYOUT_REQUESTED,
    S,
    _activity,
    _lock_account,
    _lock_payout,
    _require_status,
)
from prop_firm.payouts.services.marks import _credit_back, _day_start_ensure, _marks_withdraw


def _clean_details(payment_method: str, payment_details: Any, user) -> dict:
    if payment_method not in PayoutMethod.values:
        raise InvalidInput(
            f"payment_method: Choose one of {', '.join(PayoutMethod.values)}.",
            code="VALIDATION_ERROR",
            errors={"payment_method": [f"Choose one of {', '.join(PayoutMethod.values)}."]},
        )
    details = payment_details or {}
    if not isinstance(details, dict):
        raise InvalidInput(
            "payment_details: Must be an object.",
            code="VALIDATION_ERROR",
            errors={"payment_details": ["Must be an object."]},
        )
    if payment_method == PayoutMethod.STRIPE:
        if not user.stripe_account_id:
            raise InvalidInput(
                "Set up your Stripe payout account first (Payouts, Connect with Stripe): a "
                "Stripe payout is sent to it.",
                code="STRIPE_ACCOUNT_MISSING",
            )
    elif not details:
        message = "Tell us where to send the money (account number, wallet address...)."
        raise InvalidInput(
            f"payment_details: {message}",
            code="VALIDATION_ERROR",
            errors={"payment_details": [message]},
        )
    return details


def payout_request(
    *,
    account: PropFirmAccount,
    user,
    payment_method: str,
    payment_details: dict | None = None,
) -> Payout:
    """Withdraws P = B − B0 from an eligible funded account and records the payout PENDING.

    Under the account lock: eligibility is judged on the locked row (so a concurrent request
    that got there first makes this one ineligible), the payout row is inserted, P leaves the
    ledger (`PAYOUT`, B back to B0), the marks follow, activity; email after commit.
    """
    if account.user_id != user.pk:
        raise NotFound("Account not found.", code="ACCOUNT_NOT_FOUND")
    details = _clean_details(payment_method, payment_details, user)
    from paper_trading.services.ledger import ledger_post

    with transaction.atomic():
        locked = _lock_account(account.pk)
        now = timezone.now()
        eligibility = payout_eligibility(account=locked, now=now, payment_method=payment_method)
        if not eligibility.eligible:
            failing = [check for check in eligibility.checks if not check.ok]
            raise StateConflict(
                f"This account is not eligible for a payout: {failing[0].detail}",
                code="PAYOUT_NOT_ELIGIBLE",
                extra={
                    "checks": [
                        {"rule": c.rule, "label": c.label, "ok": c.ok, "detail": c.detail}
                        for c in eligibility.checks
                    ]
                },
            )
        profit = to_cents(eligibility.profit)
        payout = Payout.objects.create(
            account=locked,
            amount=profit,
            profit_split=locked.plan.profit_split,
            trader_share=eligibility.trader_share,
            currency=locked.plan.currency or "usd",
            status=S.PENDING,
            payment_method=payment_method,
            payment_details=details,
            requested_at=now,
        )
        balance_before = locked.current_balance
        _day_start_ensure(locked)
        ledger_post(
            account=locked,
            kind=LEDGER_PAYOUT,
            amount=-profit,
            reference=f"payout:{payout.pk}",
            memo=f"Payout #{payout.pk}: profit withdrawn",
            created_by=user,
        )
        payout.marks_withdrawn = _marks_withdraw(locked, profit)
        payout.save(update_fields=["marks_withdrawn", "updated_at"])
        payout.account = locked
        _activity(
            payout,
            kind=PAYOUT_REQUESTED,
            actor=user,
            message=(
                f"Payout #{payout.pk} requested: ${profit} withdrawn, trader's share "
                f"${payout.trader_share} ({payout.profit_split}%) by {payment_method}."
            ),
            before={"balance": str(balance_before)},
            balance=str(locked.current_balance),
        )
        emails.payout_email_schedule(emails.REQUESTED, payout)
    return payout


def payout_cancel(*, payout: Payout, user) -> Payout:
    """The trader withdraws a PENDING request: P is credited back (`PAYOUT_REVERSAL`)."""
    if payout.account.user_id != user.pk:
        raise NotFound("Payout not found.", code="PAYOUT_NOT_FOUND")
    with transaction.atomic():
        account = _lock_account(payout.account_id)
        locked = _lock_payout(payout.pk)
        _require_status(locked, (S.PENDING,), "cancelled")
        locked.account = account
        before = {"status": locked.status, "balance": str(account.current_balance)}
        _credit_back(
            account=account, payout=locked, actor=user, memo=f"Payout #{locked.pk} cancelled"
        )
        locked.status = S.CANCELLED
        locked.reason = "Cancelled by the trader."
        locked.save(update_fields=["status", "reason", "credited_back_at", "updated_at"])
        _activity(
            locked,
            kind=PAYOUT_CANCELLED,
            actor=user,
            message=f"Payout #{locked.pk} cancelled by the trader: ${locked.amount} credited back.",
            before=before,
            balance=str(account.current_balance),
        )
    return locked
