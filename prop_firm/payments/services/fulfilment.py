"""Fulfilment: a paid purchase activates its account, exactly once.

`purchase_fulfil` is the one function the webhook and `verify_payment` call. It never
trusts an event: it asks the gateway for the session's real state (Stripe: the Checkout
Session; local: its own record) and activates only a paid session whose amount and currency
match the purchase. Lock order: purchase row, then account row (inside `account_activate`).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from alpacabackend.api.errors import ApplicationError, InvalidInput, NotFound, StateConflict
from prop_firm.models import AccountStatus, PropFirmAccount
from prop_firm.payments.gateways import CheckoutSession, gateway_for
from prop_firm.payments.models import Purchase, PurchaseStatus
from prop_firm.services import lifecycle

FULFILLED = "FULFILLED"
NOT_PAID = "NOT_PAID"
MISMATCH = "MISMATCH"
NOT_FULFILLABLE = "NOT_FULFILLABLE"

REVIEW = "PAYMENT_REVIEW"  # activity kind: something an admin must look at


@dataclass(frozen=True, slots=True)
class Fulfilment:
    purchase: Purchase
    account: PropFirmAccount
    outcome: str
    message: str
    changed: bool = False

    @property
    def fulfilled(self) -> bool:
        return self.outcome == FULFILLED


class PaymentNotCompleted(ApplicationError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_code = "PAYMENT_NOT_COMPLETED"
    default_message = "The payment is not complete yet."


def purchase_flag(*, purchase: Purchase, reason: str, account=None) -> None:
    """Flags a purchase for an admin, with an activity on the account. Caller holds the
    purchase lock inside a transaction."""
    purchase.needs_review = True
    purchase.review_reason = f"{purchase.review_reason}\n{reason}".strip()
    purchase.save(update_fields=["needs_review", "review_reason", "updated_at"])
    lifecycle.activity_record(
        account=account or purchase.account,
        kind=REVIEW,
        message=reason,
        after={"purchase": purchase.pk},
    )


def _already(purchase: Purchase) -> Fulfilment:
    return Fulfilment(
        purchase, purchase.account, FULFILLED, "The payment was already received.", False
    )


def _session_matches(purchase: Purchase, session: CheckoutSession) -> bool:
    if purchase.session_id:
        return session.id == purchase.session_id
    # Our store of the session id was lost (crash after Stripe answered): trust the
    # gateway's own metadata, which we wrote.
    return session.metadata.get("purchase_id") == str(purchase.pk)


def purchase_fulfil(*, purchase: Purchase, session: CheckoutSession | None = None) -> Fulfilment:
    """Activates `purchase`'s account if the gateway says its session is paid with the
    purchase's amount and currency. Idempotent: a second call returns FULFILLED with
    `changed=False`. `session` is the gateway's state when the caller already fetched it
    (outside any transaction); otherwise it is fetched here, before any lock."""
    if purchase.status == PurchaseStatus.PAID and purchase.account.activated_at is not None:
        return _already(purchase)
    if session is None:
        if not purchase.session_id:
            raise StateConflict(
                "This purchase has no checkout session.", code="NO_CHECKOUT_SESSION"
            )
        session = gateway_for(purchase).session_retrieve(purchase.session_id)

    with transaction.atomic():
        locked = (
            Purchase.objects.select_for_update(of=("self",))
            .select_related("account", "plan", "user")
            .get(pk=purchase.pk)
        )
        if locked.status == PurchaseStatus.PAID:
            return _already(locked)
        account = locked.account
        if not _session_matches(locked, session):
            return Fulfilment(
                locked, account, MISMATCH, "The session does not belong to this purchase."
            )
        if not session.is_paid:
            return Fulfilment(locked, account, NOT_PAID, "The checkout session is not paid.")
        if session.amount_total != locked.amount or session.currency != locked.currency:
            reason = (
                f"Paid {session.amount_total} {session.currency.upper()} but the purchase is "
                f"{locked.amount} {locked.currency.upper()}: not activated, review needed."
            )
            purchase_flag(purchase=locked, reason=reason)
            return Fulfilment(locked, account, MISMATCH, reason)

        locked.status = PurchaseStatus.PAID
        locked.paid_at = timezone.now()
        # An earlier declined attempt is history (its PAYMENT_FAILED activity stays); a paid
        # purchase shows no failure.
        locked.failure_code = locked.failure_message = ""
        locked.session_id = session.id
        intent_id = session.payment_intent_id
        if (
            intent_id
            and not locked.payment_intent_id
            and not Purchase.objects.filter(payment_intent_id=intent_id).exists()
        ):
            locked.payment_intent_id = intent_id
        locked.save()

        if account.status != AccountStatus.PENDING and account.activated_at is None:
            reason = (
                f"Payment received for account {account.account_number}, which is "
                f"{account.status.lower()}: refund or reopen it."
            )
            purchase_flag(purchase=locked, reason=reason)
            return Fulfilment(locked, account, NOT_FULFILLABLE, reason, changed=True)

        account = lifecycle.account_activate(account=account)
        # A trader who has paid is verified (the profile's `is_verified`).
        get_user_model().objects.filter(pk=locked.user_id, is_verified=False).update(
            is_verified=True
        )
        return Fulfilment(locked, account, FULFILLED, "Payment received.", changed=True)


def purchase_verify(
    *, user, account_id: int, session_id: str = "", payment_intent_id: str = ""
) -> Fulfilment:
    """The browser's check after checkout (`verify_payment`): the same fulfilment, driven
    by the gateway's real state. Another user's account is not found."""
    purchase = (
        Purchase.objects.select_related("account", "plan", "user")
        .filter(account_id=account_id, account__user=user)
        .first()
    )
    if purchase is None:
        raise NotFound("Account not found.", code="ACCOUNT_NOT_FOUND")
    if session_id and purchase.session_id and session_id != purchase.session_id:
        raise InvalidInput(
            "session_id: This checkout session does not belong to this account.",
            code="VALIDATION_ERROR",
            errors={"session_id": ["This checkout session does not belong to this account."]},
        )
    if payment_intent_id and payment_intent_id != purchase.payment_intent_id:
        _intent_link(purchase=purchase, payment_intent_id=payment_intent_id)

    result = purchase_fulfil(purchase=purchase)
    if result.outcome == NOT_PAID:
        raise PaymentNotCompleted(
            f"The payment for account {result.account.account_number} is not complete yet. "
            "If you just paid, wait a few seconds and try again."
        )
    if result.outcome in (MISMATCH, NOT_FULFILLABLE):
        raise StateConflict(
            f"The payment for account {result.account.account_number} needs a review by our "
            "team; we will contact you.",
            code="PAYMENT_UNDER_REVIEW",
        )
    return result


def _intent_link(*, purchase: Purchase, payment_intent_id: str) -> None:
    error = InvalidInput(
        "payment_intent_id: This payment does not belong to this account.",
        code="VALIDATION_ERROR",
        errors={"payment_intent_id": ["This payment does not belong to this account."]},
    )
    if purchase.payment_intent_id:
        raise error
    intent = gateway_for(purchase).payment_intent_retrieve(payment_intent_id)
    if intent.metadata.get("purchase_id") != str(purchase.pk):
        raise error
    purchase_intent_link(purchase=purchase, payment_intent_id=payment_intent_id)


def purchase_intent_link(*, purchase: Purchase, payment_intent_id: str) -> bool:
    """Records the payment intent of a purchase once (the first one seen is kept)."""
    with transaction.atomic():
        locked = Purchase.objects.select_for_update(of=("self",)).get(pk=purchase.pk)
        if locked.payment_intent_id:
            return locked.payment_intent_id == payment_intent_id
        if Purchase.objects.filter(payment_intent_id=payment_intent_id).exists():
            return False
        locked.payment_intent_id = payment_intent_id
        locked.save(update_fields=["payment_intent_id", "updated_at"])
        purchase.payment_intent_id = payment_intent_id
    return True
