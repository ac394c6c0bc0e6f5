"""What every payout step shares: activity and ledger kinds, row locks, status checks,
the audit row and the transfer's idempotency key."""

from __future__ import annotations

import stripe

from alpacabackend.api.errors import InvalidInput, StateConflict
from prop_firm.models import PropFirmAccount
from prop_firm.payouts.models import Payout, PayoutMethod, PayoutStatus
from prop_firm.services.lifecycle import activity_record

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
