"""Stripe transfers: create or find the attempt's transfer outside any lock, settle the
payout from the result, and the Connect webhooks of transfers (created, reversed)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from prop_firm.models import AccountStatus
from prop_firm.payouts import emails
from prop_firm.payouts.models import Payout
from prop_firm.payouts.services.common import (
    _UNKNOWN_OUTCOME,
    PAYOUT_COMPLETED,
    PAYOUT_FAILED,
    PAYOUT_NOTE,
    PAYOUT_REVERSED,
    S,
    _activity,
    _lock_payout,
    idempotency_key,
)

logger = logging.getLogger(__name__)


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
