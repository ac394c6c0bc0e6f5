"""Payout use cases: request, cancel, approve (Stripe transfer or manual), complete, reject,
and the Stripe webhook handlers of transfers.

Invariants
----------
- Money moves only through `ledger_post`, under the account's row lock
  (`select_for_update`) in `transaction.atomic()`: a request withdraws P (kind `PAYOUT`,
  B returns to B0), a cancellation or rejection credits the same P back (`PAYOUT_REVERSAL`).
  Eligibility is judged again under that lock, so concurrent requests on one account
  withdraw P at most once (the second sees P = 0 and a pending payout); the partial unique
  constraint `payout_one_open_per_account` backs this up in the database.
- Lock order: the account row, then the payout row. Status-only steps lock the payout alone.
- No network under a lock: Stripe is called between two transactions. The payout is first
  committed as PROCESSING with its attempt number, so the idempotency key
  (`payout-<id>`, `payout-<id>-<attempt>` for later attempts) makes any retry of the same
  attempt return the same transfer.
- A failed transfer leaves the payout FAILED with the provider's message and P still
  withdrawn; P comes back only when staff reject it (an explicit decision), or staff approve
  it again (a new attempt, active account only).
- A PROCESSING payout never stays stuck: approving it again settles the same attempt, whatever
  the account's status (same idempotency key on an active account; on a suspended or closed
  one only a lookup of the attempt's transfer, so nothing new is paid). It ends COMPLETED or
  FAILED, and FAILED can be rejected.
- A manual payout is marked paid only from an active account, as it is approved.
- Every step writes an `AccountActivity`; emails leave on commit.

Floors after a withdrawal keep RULES.md's meaning: the withdrawal is not a trading loss, so
the balance-based marks (SOD_B, SOD_E, EOD_HWM, PEAK_E, E) move down with B by P, and the
room to the daily-loss floor is what it was. EOD_HWM and PEAK_E never go below B0 (they start
there); what each mark actually moved is stored on the payout and restored on a credit back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput, NotFound, StateConflict
from alpacabackend.money import to_cents
from prop_firm import rules
from prop_firm.models import AccountStatus, PropFirmAccount
from prop_firm.payouts import emails
from prop_firm.payouts.models import Payout, PayoutMethod, PayoutStatus
from prop_firm.payouts.selectors import payout_eligibility
from prop_firm.services.lifecycle import activity_record
from prop_firm.services.stages import floor_rules

logger = logging.getLogger(__name__)

S = PayoutStatus

# Activity kinds.
PAYOUT_REQUESTED = "PAYOUT_REQUESTED"
PAYOUT_CANCELLED = "PAYOUT_CANCELLED"
PAYOUT_APPROVED = "PAYOUT_APPROVED"
PAYOUT_COMPLETED = "PAYOUT_COMPLETED"
PAYOUT_FAILED = "PAYOUT_FAILED"
PAYOUT_REJECTED = "PAYOUT_REJECTED"
PAYOUT_REVERSED = "PAYOUT_TRANSFER_REVERSED"
PAYOUT_NOTE = "PAYOUT_NOTE"

# Ledger kinds (paper_trading.models.LedgerKind).
LEDGER_PAYOUT = "PAYOUT"
LEDGER_PAYOUT_REVERSAL = "PAYOUT_REVERSAL"

# Stripe errors after which the transfer may or may not exist: keep PROCESSING and retry
# with the same idempotency key.
_UNKNOWN_OUTCOME = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)

_SHIFTED_MARKS = ("sod_balance", "sod_equity", "eod_hwm", "peak_equity", "equity")


# --------------------------------------------------------------------------------------
# Locks and small helpers
# --------------------------------------------------------------------------------------


def _lock_account(account_id: int) -> PropFirmAccount:
    return (
        PropFirmAccount.objects.select_related("plan", "user")
        .select_for_update(of=("self",))
        .get(pk=account_id)
    )


def _lock_payout(payout_id: int) -> Payout:
    return (
        Payout.objects.select_related("account", "account__user", "account__plan")
        .select_for_update(of=("self",))
        .get(pk=payout_id)
    )


def _require_status(payout: Payout, allowed: tuple[str, ...], action: str) -> None:
    if payout.status not in allowed:
        hint = ""
        if payout.status == S.PROCESSING and payout.payment_method == PayoutMethod.STRIPE:
            hint = (
                " Approve it again to settle the transfer with Stripe: it then completes, or "
                "fails and can be rejected."
            )
        raise StateConflict(
            f"Payout #{payout.pk} is {payout.get_status_display().lower()} and cannot be "
            f"{action}.{hint}",
            code="PAYOUT_INVALID_STATUS",
        )


def _require_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(
            f"{field}: {message}", code="VALIDATION_ERROR", errors={field: [message]}
        )
    return text


def _snapshot(payout: Payout) -> dict:
    return {
        "payout_id": payout.pk,
        "status": payout.status,
        "amount": str(payout.amount),
        "trader_share": str(payout.trader_share),
    }


def _activity(payout: Payout, *, kind: str, message: str, actor=None, before=None, **after):
    return activity_record(
        account=payout.account,
        kind=kind,
        message=message,
        actor=actor,
        before=before or {},
        after={**_snapshot(payout), **after},
    )


def idempotency_key(payout: Payout) -> str:
    """One key per transfer attempt: a retry of the same attempt never pays twice."""
    if payout.transfer_attempt <= 1:
        return f"payout-{payout.pk}"
    return f"payout-{payout.pk}-{payout.transfer_attempt}"


# --------------------------------------------------------------------------------------
# Marks (RULES.md floors) around a withdrawal
# --------------------------------------------------------------------------------------


def _day_start_ensure(account: PropFirmAccount) -> None:
    """The new day's marks before a withdrawal or a credit-back moves them: moved after the
    reset instant, they must be the new day's, whether the reset task has run or not, or a
    late reset would anchor EOD_HWM on the credited balance (issue 12 item 11)."""
    from prop_firm.services.day_start import day_start_marks_ensure

    day_start_marks_ensure(account=account, now=timezone.now())


def _marks_withdraw(account: PropFirmAccount, amount: Decimal) -> dict[str, str]:
    """Moves the balance-based marks of a locked, flat account down by the withdrawn P;
    returns what each mark actually moved (kept on the payout for a credit back)."""
    b0 = account.starting_balance
    # Flat account: E = B. PEAK_E may not have been raised to it yet by a sweep.
    peak = max(account.peak_equity, account.current_balance + amount)
    moved = {
        "sod_balance": amount,
        "sod_equity": amount,
        "eod_hwm": account.eod_hwm - max(b0, account.eod_hwm - amount),
        "peak_equity": peak - max(b0, peak - amount),
        "equity": amount,
    }
    account.peak_equity = peak
    for name, delta in moved.items():
        setattr(account, name, to_cents(getattr(account, name) - delta))
    _floor_store(account)
    account.save(update_fields=[*_SHIFTED_MARKS, "max_loss_floor", "updated_at"])
    return {name: str(to_cents(delta)) for name, delta in moved.items()}


def _marks_credit(account: PropFirmAccount, moved: Mapping[str, str], amount: Decimal) -> None:
    """The inverse of `_marks_withdraw` for a locked account (P credited back)."""
    for name in _SHIFTED_MARKS:
        delta = Decimal(moved[name]) if name in moved else amount
        setattr(account, name, to_cents(getattr(account, name) + delta))
    _floor_store(account)
    account.save(update_fields=[*_SHIFTED_MARKS, "max_loss_floor", "updated_at"])


def _floor_store(account: PropFirmAccount) -> None:
    account.max_loss_floor = to_cents(
        rules.max_loss_floor(
            floor_rules(account), eod_hwm=account.eod_hwm, peak_equity=account.peak_equity
        )
    )


def _credit_back(*, account: PropFirmAccount, payout: Payout, actor, memo: str) -> None:
    """Posts P back to a locked account (the caller holds account and payout locks)."""
    from paper_trading.services.ledger import ledger_post

    _day_start_ensure(account)
    ledger_post(
        account=account,
        kind=LEDGER_PAYOUT_REVERSAL,
        amount=payout.amount,
        reference=f"payout:{payout.pk}",
        memo=memo,
        created_by=actor,
    )
    _marks_credit(account, payout.marks_withdrawn or {}, payout.amount)
    payout.credited_back_at = timezone.now()


# --------------------------------------------------------------------------------------
# The trader
# --------------------------------------------------------------------------------------


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
                "Connect a Stripe account to your profile before requesting a Stripe payout.",
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


# --------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Stripe
# --------------------------------------------------------------------------------------


def _stripe_require_configured() -> None:
    if not settings.STRIPE_SECRET_KEY:
        from prop_firm.payments.gateways.base import PaymentProviderUnavailable

        raise PaymentProviderUnavailable(
            "Stripe is not configured (STRIPE_SECRET_KEY): Stripe payouts cannot be sent."
        )


def _transfer_create(*, payout: Payout, destination: str) -> dict:
    """The Connect transfer of the trader's share. Network I/O: never under a lock."""
    from prop_firm.payments.gateways.stripe_gateway import stripe_client
    from prop_firm.payments.money import to_minor_units

    transfer = stripe_client().v1.transfers.create(
        params={
            "amount": to_minor_units(payout.trader_share, payout.currency),
            "currency": payout.currency,
            "destination": destination,
            "description": f"Payout #{payout.pk} for account {payout.account.account_number}",
            "transfer_group": f"payout-{payout.pk}",
            "metadata": {
                "payout_id": str(payout.pk),
                "account_number": payout.account.account_number,
                "attempt": str(payout.transfer_attempt),
            },
        },
        options={"idempotency_key": idempotency_key(payout)},
    )
    return transfer.to_dict()


def _transfer_find(*, payout: Payout) -> dict | None:
    """The transfer of the payout's current attempt, if Stripe has one (a read: never pays).
    Network I/O: never under a lock."""
    from prop_firm.payments.gateways.stripe_gateway import stripe_client

    transfers = stripe_client().v1.transfers.list(
        params={"transfer_group": f"payout-{payout.pk}", "limit": 100}
    )
    wanted = {"payout_id": str(payout.pk), "attempt": str(payout.transfer_attempt)}
    for transfer in transfers.to_dict().get("data") or []:
        metadata = transfer.get("metadata") or {}
        found = {"payout_id": str(metadata.get("payout_id")), "attempt": metadata.get("attempt")}
        if found == wanted:
            return transfer
    return None


def _transfer_settle_by_lookup(*, payout: Payout, actor) -> Payout:
    """A PROCESSING payout that may not be paid any more (account no longer active, or no
    destination): COMPLETED if Stripe has the attempt's transfer, FAILED if not. Nothing is
    created."""
    from prop_firm.payments.gateways.base import (
        PaymentProviderError,
        PaymentProviderUnavailable,
    )

    try:
        transfer = _transfer_find(payout=payout)
    except _UNKNOWN_OUTCOME as exc:
        logger.warning("Stripe transfers of payout %s: lookup failed (%s)", payout.pk, exc)
        raise PaymentProviderUnavailable(
            "Stripe could not be reached to check the transfer; the payout stays in progress. "
            "Approve it again in a few minutes.",
        ) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(
            f"Stripe refused to list the payout's transfers: {exc.user_message or exc}",
        ) from exc
    account = payout.account
    if account.status != AccountStatus.ACTIVE:
        why = f"account {account.account_number} is {account.status.lower()}"
    else:
        why = "the trader has no connected Stripe account"
    if transfer is not None:
        return _transfer_succeeded(
            payout_id=payout.pk,
            transfer_id=transfer["id"],
            attempt=payout.transfer_attempt,
            actor=actor,
        )
    return _transfer_failed(
        payout_id=payout.pk,
        attempt=payout.transfer_attempt,
        code="transfer_not_found",
        message=f"Stripe has no transfer for this payout, and no new one is sent: {why}.",
        actor=actor,
    )


def _transfer_succeeded(*, payout_id: int, transfer_id: str, attempt: int, actor=None) -> Payout:
    """PROCESSING → COMPLETED with the transfer id. Idempotent: a payout already completed
    (the webhook came first) is returned unchanged."""
    with transaction.atomic():
        locked = _lock_payout(payout_id)
        if locked.status == S.COMPLETED:
            return locked
        if locked.status != S.PROCESSING or locked.transfer_attempt != attempt:
            logger.warning(
                "Transfer %s for payout %s (attempt %s) arrived in status %s, attempt %s",
                transfer_id,
                payout_id,
                attempt,
                locked.status,
                locked.transfer_attempt,
            )
            _activity(
                locked,
                kind=PAYOUT_NOTE,
                actor=actor,
                message=(
                    f"Payout #{locked.pk}: Stripe transfer {transfer_id} of attempt {attempt} "
                    f"arrived while the payout is {locked.status.lower()}; check it in Stripe."
                ),
                transfer_id=transfer_id,
            )
            return locked
        locked.status = S.COMPLETED
        locked.stripe_transfer_id = transfer_id
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "stripe_transfer_id", "completed_at", "updated_at"])
        _activity(
            locked,
            kind=PAYOUT_COMPLETED,
            actor=actor,
            before={"status": S.PROCESSING},
            message=(
                f"Payout #{locked.pk} paid: ${locked.trader_share} transferred to the trader's "
                f"Stripe account ({transfer_id})."
            ),
            transfer_id=transfer_id,
        )
        emails.payout_email_schedule(emails.PAID, locked)
    return locked


def _transfer_failed(
    *, payout_id: int, attempt: int, code: str, message: str, actor=None
) -> Payout:
    """PROCESSING → FAILED with the provider's message; P stays withdrawn until staff
    decide (approve again, or reject to credit it back)."""
    with transaction.atomic():
        locked = _lock_payout(payout_id)
        if locked.status != S.PROCESSING or locked.transfer_attempt != attempt:
            return locked
        locked.status = S.FAILED
        locked.failure_code = code[:100]
        locked.failure_message = message
        locked.failed_at = timezone.now()
        locked.save(
            update_fields=["status", "failure_code", "failure_message", "failed_at", "updated_at"]
        )
        _activity(
            locked,
            kind=PAYOUT_FAILED,
            actor=actor,
            before={"status": S.PROCESSING},
            message=(
                f"Payout #{locked.pk}: Stripe transfer failed ({code}): {message} "
                "The profit stays withdrawn until an admin retries or rejects the payout."
            ),
            failure_code=code,
            failure_message=message,
        )
    return locked


def _event_object(event) -> dict:
    """The transfer of a Stripe event: a `stripe.Event`, its dict, or the transfer itself
    (what the payments dispatcher hands its handlers as `event.payload["data"]["object"]`)."""
    data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    if data.get("object") == "transfer":
        return data
    return dict((data.get("data") or {}).get("object") or {})


def _event_payout(obj: Mapping) -> Payout | None:
    metadata = obj.get("metadata") or {}
    payout_id = str(metadata.get("payout_id") or "")
    if payout_id.isdigit():
        payout = Payout.objects.filter(pk=int(payout_id)).first()
        if payout is not None:
            return payout
    if obj.get("id"):
        return Payout.objects.filter(stripe_transfer_id=obj["id"]).first()
    return None


def payout_transfer_created(event) -> Payout | None:
    """Webhook `transfer.created`: the transfer exists, so the payout is paid (covers a
    response lost to a network failure). Idempotent; unknown transfers are ignored."""
    obj = _event_object(event)
    payout = _event_payout(obj)
    if payout is None or not obj.get("id"):
        return None
    attempt = int(str((obj.get("metadata") or {}).get("attempt") or payout.transfer_attempt))
    return _transfer_succeeded(payout_id=payout.pk, transfer_id=obj["id"], attempt=attempt)


def payout_transfer_reversed(event) -> Payout | None:
    """Webhook `transfer.reversed`: the money came back from the trader's Stripe account.
    A full reversal makes a completed payout FAILED (P stays withdrawn until staff decide);
    a partial one is recorded as an activity for staff. Idempotent."""
    obj = _event_object(event)
    payout = _event_payout(obj)
    if payout is None:
        return None
    amount = int(obj.get("amount") or 0)
    reversed_amount = int(obj.get("amount_reversed") or 0)
    full = bool(obj.get("reversed")) or (amount > 0 and reversed_amount >= amount)
    with transaction.atomic():
        locked = _lock_payout(payout.pk)
        if locked.status == S.FAILED and locked.failure_code == "transfer_reversed":
            return locked
        if full and locked.status == S.COMPLETED:
            locked.status = S.FAILED
            locked.failure_code = "transfer_reversed"
            locked.failure_message = "The Stripe transfer was reversed."
            locked.failed_at = timezone.now()
            locked.save(
                update_fields=[
                    "status",
                    "failure_code",
                    "failure_message",
                    "failed_at",
                    "updated_at",
                ]
            )
            message = (
                f"Payout #{locked.pk}: Stripe transfer {obj.get('id')} reversed; the payout is "
                "failed and the profit stays withdrawn until an admin decides."
            )
        else:
            message = (
                f"Payout #{locked.pk}: Stripe transfer {obj.get('id')} partly reversed "
                f"({reversed_amount} of {amount} in minor units)."
            )
        _activity(
            locked,
            kind=PAYOUT_REVERSED,
            message=message,
            transfer_id=obj.get("id"),
            amount_reversed=reversed_amount,
        )
    return locked
