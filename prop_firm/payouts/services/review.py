"""The staff review: approve (a Stripe transfer or a manual payment), mark a manual payout
paid, reject (P credited back) and keep notes."""

from __future__ import annotations

import logging

import stripe
from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import StateConflict
from prop_firm.models import AccountStatus
from prop_firm.payouts import emails
from prop_firm.payouts.models import Payout, PayoutMethod
from prop_firm.payouts.selectors import connect_payout_check
from prop_firm.payouts.services.common import (
    _UNKNOWN_OUTCOME,
    PAYOUT_APPROVED,
    PAYOUT_COMPLETED,
    PAYOUT_NOTE,
    PAYOUT_REJECTED,
    S,
    _activity,
    _lock_account,
    _lock_payout,
    _require_status,
    _require_text,
    idempotency_key,
)
from prop_firm.payouts.services.marks import _credit_back
from prop_firm.payouts.services.transfers import (
    _stripe_require_configured,
    _transfer_create,
    _transfer_failed,
    _transfer_settle_by_lookup,
    _transfer_succeeded,
)

logger = logging.getLogger(__name__)


def _require_account_active(payout: Payout, *, action: str = "paid") -> None:
    account = payout.account
    if account.status != AccountStatus.ACTIVE:
        raise StateConflict(
            f"Account {account.account_number} is {account.status.lower()}: a payout is only "
            f"{action} from an active funded account. Reject it to credit the profit back.",
            code="PAYOUT_ACCOUNT_NOT_ACTIVE",
        )


def payout_approve(*, payout: Payout, actor) -> Payout:
    """Staff approve a payout.

    Manual methods: PENDING → PROCESSING (the money is sent by hand, then
    `payout_complete`).
    Stripe: PENDING or FAILED (a new attempt, active account only) → PROCESSING, committed;
    then the Connect transfer of the trader's share outside any transaction; then COMPLETED
    with the transfer id, or FAILED with Stripe's message. A network failure leaves it
    PROCESSING and answers 503.

    Approving a PROCESSING payout again settles the same attempt, whatever the account's
    status now (staff approved it, and its transfer may already exist): on an active account
    the transfer is retried with the same idempotency key (Stripe answers the first one if it
    was made, so it never pays twice); on an account suspended or closed since, no transfer
    is created any more: Stripe is only asked whether the attempt's transfer exists
    (COMPLETED) or not (FAILED, which staff may then reject to credit P back).
    """
    if payout.payment_method != PayoutMethod.STRIPE:
        return _approve_manual(payout=payout, actor=actor)
    _stripe_require_configured()
    with transaction.atomic():
        locked = _lock_payout(payout.pk)
        _require_status(locked, (S.PENDING, S.FAILED, S.PROCESSING), "approved")
        retry = locked.status == S.PROCESSING
        if not retry:
            _require_account_active(locked)
        destination = locked.account.user.stripe_account_id
        # Without an active account (or a destination) nothing new may be paid: a retry
        # only asks Stripe whether the attempt's transfer exists.
        look_up_only = retry and (locked.account.status != AccountStatus.ACTIVE or not destination)
        if not destination and not look_up_only:
            raise StateConflict(
                "The trader has no connected Stripe account to pay into.",
                code="STRIPE_ACCOUNT_MISSING",
            )
        if not retry:
            # A new attempt pays only the trader's own onboarded account with payouts enabled,
            # judged now: never an id typed in since the request, never a disabled account.
            connected = connect_payout_check(user=locked.account.user)
            if not connected.ok:
                raise StateConflict(connected.detail, code="STRIPE_PAYOUTS_NOT_ENABLED")
        before = {"status": locked.status}
        first_approval = locked.status == S.PENDING
        if not retry:
            locked.transfer_attempt += 1
        locked.status = S.PROCESSING
        locked.reviewer = actor
        locked.processed_at = locked.processed_at or timezone.now()
        locked.failure_code = locked.failure_message = ""
        locked.save(
            update_fields=[
                "status",
                "transfer_attempt",
                "reviewer",
                "processed_at",
                "failure_code",
                "failure_message",
                "updated_at",
            ]
        )
        if look_up_only:
            message = (
                f"Payout #{locked.pk}: no new transfer is sent (account "
                f"{locked.account.account_number} is {locked.account.status.lower()}"
                f"{'' if destination else ', no connected Stripe account'}); asking Stripe "
                f"whether attempt {locked.transfer_attempt}'s transfer was made."
            )
        elif retry:
            message = (
                f"Payout #{locked.pk}: Stripe transfer of ${locked.trader_share} retried "
                f"(attempt {locked.transfer_attempt}, same idempotency key)."
            )
        else:
            message = (
                f"Payout #{locked.pk} approved: Stripe transfer of ${locked.trader_share} "
                f"(attempt {locked.transfer_attempt})."
            )
        _activity(
            locked,
            kind=PAYOUT_APPROVED,
            actor=actor,
            before=before,
            message=message,
            attempt=locked.transfer_attempt,
            idempotency_key=idempotency_key(locked),
        )
        if first_approval:
            emails.payout_email_schedule(emails.APPROVED, locked)

    if look_up_only:
        return _transfer_settle_by_lookup(payout=locked, actor=actor)
    try:
        transfer = _transfer_create(payout=locked, destination=destination)
    except _UNKNOWN_OUTCOME as exc:
        logger.warning("Stripe transfer for payout %s: outcome unknown (%s)", locked.pk, exc)
        from prop_firm.payments.gateways.base import PaymentProviderUnavailable

        raise PaymentProviderUnavailable(
            "Stripe could not be reached; the transfer may or may not have been made. "
            "Approve again to retry safely (same idempotency key).",
        ) from exc
    except stripe.StripeError as exc:
        return _transfer_failed(
            payout_id=locked.pk,
            attempt=locked.transfer_attempt,
            code=exc.code or type(exc).__name__,
            message=exc.user_message or str(exc) or "The transfer failed.",
            actor=actor,
        )
    return _transfer_succeeded(
        payout_id=locked.pk,
        transfer_id=transfer["id"],
        attempt=locked.transfer_attempt,
        actor=actor,
    )


def _approve_manual(*, payout: Payout, actor) -> Payout:
    with transaction.atomic():
        locked = _lock_payout(payout.pk)
        _require_status(locked, (S.PENDING,), "approved")
        _require_account_active(locked)
        locked.status = S.PROCESSING
        locked.reviewer = actor
        locked.processed_at = timezone.now()
        locked.save(update_fields=["status", "reviewer", "processed_at", "updated_at"])
        _activity(
            locked,
            kind=PAYOUT_APPROVED,
            actor=actor,
            before={"status": S.PENDING},
            message=(
                f"Payout #{locked.pk} approved: ${locked.trader_share} to be paid by "
                f"{locked.get_payment_method_display().lower()}."
            ),
        )
        emails.payout_email_schedule(emails.APPROVED, locked)
    return locked


def payout_complete(*, payout: Payout, reference: str = "", actor) -> Payout:
    """Staff record a manual payment (bank transfer, crypto...) made: PROCESSING → COMPLETED,
    with its reference when they have one. Stripe payouts complete with their transfer."""
    reference = (reference or "").strip()
    with transaction.atomic():
        locked = _lock_payout(payout.pk)
        if locked.payment_method == PayoutMethod.STRIPE:
            raise StateConflict(
                "A Stripe payout completes with its transfer: approve it instead.",
                code="PAYOUT_INVALID_STATUS",
            )
        _require_status(locked, (S.PROCESSING,), "completed")
        # Approval already refuses a suspended or closed account; so does paying it later.
        _require_account_active(locked, action="marked paid")
        locked.status = S.COMPLETED
        locked.reference = reference
        locked.reviewer = actor
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "reference", "reviewer", "completed_at", "updated_at"])
        _activity(
            locked,
            kind=PAYOUT_COMPLETED,
            actor=actor,
            before={"status": S.PROCESSING},
            message=(
                f"Payout #{locked.pk} paid: ${locked.trader_share}"
                + (f", reference {reference}." if reference else " (no reference given).")
            ),
            reference=reference,
        )
        emails.payout_email_schedule(emails.PAID, locked)
    return locked


def payout_reject(*, payout: Payout, reason: str, actor) -> Payout:
    """Staff reject a payout (PENDING, a manual one being paid by hand, or FAILED after a
    transfer failure): P is credited back (`PAYOUT_REVERSAL`) and the trader told why. Not
    while a Stripe transfer is in flight (PROCESSING: approving it again settles it as
    COMPLETED or FAILED), nor once paid."""
    reason = _require_text(reason, "reason", "A reason is required.")
    with transaction.atomic():
        account = _lock_account(payout.account_id)
        locked = _lock_payout(payout.pk)
        rejectable = (S.PENDING, S.FAILED)
        if locked.payment_method != PayoutMethod.STRIPE:
            rejectable = (*rejectable, S.PROCESSING)  # not paid by hand after all
        _require_status(locked, rejectable, "rejected")
        locked.account = account
        before = {"status": locked.status, "balance": str(account.current_balance)}
        _credit_back(
            account=account, payout=locked, actor=actor, memo=f"Payout #{locked.pk} rejected"
        )
        locked.status = S.REJECTED
        locked.reason = reason
        locked.reviewer = actor
        locked.processed_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "reason",
                "reviewer",
                "processed_at",
                "credited_back_at",
                "updated_at",
            ]
        )
        _activity(
            locked,
            kind=PAYOUT_REJECTED,
            actor=actor,
            before=before,
            message=f"Payout #{locked.pk} rejected: {reason} ${locked.amount} credited back.",
            reason=reason,
            balance=str(account.current_balance),
        )
        emails.payout_email_schedule(emails.REJECTED, locked)
    return locked


def payout_notes_update(*, payout: Payout, admin_notes: str, actor) -> Payout:
    """Staff's internal notes on a payout (never shown to the trader)."""
    with transaction.atomic():
        locked = _lock_payout(payout.pk)
        before = {"admin_notes": locked.admin_notes}
        locked.admin_notes = admin_notes or ""
        locked.save(update_fields=["admin_notes", "updated_at"])
        _activity(
            locked,
            kind=PAYOUT_NOTE,
            actor=actor,
            before=before,
            message=f"Payout #{locked.pk}: notes updated.",
            admin_notes=locked.admin_notes,
        )
    return locked
