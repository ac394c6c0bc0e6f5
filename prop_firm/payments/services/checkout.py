"""Buying a plan: the PENDING account, its purchase, the gateway's checkout session.

Order of work (no network inside a transaction): create account + purchase and commit; ask
the gateway for a session; store the session id. When the gateway fails, the purchase fails
and the pending account is closed, so nothing half-made is left for the trader.
"""

import logging
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from alpacabackend.api.errors import ApplicationError, InvalidInput
from prop_firm.models import AccountStatus, PropFirmPlan
from prop_firm.payments.gateways import (
    PaymentProviderUnavailable,
    gateway_get,
    gateway_name,
)
from prop_firm.payments.models import Purchase, PurchaseStatus
from prop_firm.services import lifecycle

logger = logging.getLogger(__name__)


def checkout_config() -> dict:
    """What the web app needs before checkout: the gateway and Stripe's publishable key."""
    name = gateway_name()
    key = settings.STRIPE_PUBLIC_KEY if name == "stripe" else ""
    return {"gateway": name, "publishable_key": key}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def checkout_url_errors(**urls: str) -> dict[str, list[str]]:
    """Return URLs must be http(s) and, outside DEBUG, on an allowed origin (CORS list):
    Checkout must never send a paying customer to a stranger's site."""
    allowed = {origin.rstrip("/").lower() for origin in settings.CORS_ALLOWED_ORIGINS}
    errors: dict[str, list[str]] = {}
    for field, url in urls.items():
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors[field] = ["Enter a full http or https URL."]
        elif not settings.DEBUG and _origin(url) not in allowed:
            errors[field] = ["This URL is not on an allowed origin of the web app."]
    return errors


class EmailNotVerified(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "EMAIL_NOT_VERIFIED"
    default_message = (
        "Verify your email before buying a plan: open the link we emailed you, or ask for a "
        "new one from your profile."
    )


def checkout_session_create(
    *, user, plan: PropFirmPlan, success_url: str, cancel_url: str, base_url: str = ""
) -> Purchase:
    """Opens a checkout for `plan`: a PENDING account, a purchase (plan's price and
    currency) and the gateway's session. Raises PaymentProviderUnavailable (503/502) when
    the gateway fails; the purchase is then FAILED and the account CLOSED."""
    errors = checkout_url_errors(success_url=success_url, cancel_url=cancel_url)
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(f"{field}: {messages[0]}", code="VALIDATION_ERROR", errors=errors)
    if not plan.is_active:
        raise InvalidInput("This plan is not available.", code="PLAN_NOT_AVAILABLE")
    if settings.CHECKOUT_REQUIRES_VERIFIED_EMAIL and not user.email_verified:
        raise EmailNotVerified()
    gateway = gateway_get()  # refuses before anything is created
    if gateway.name == "local":
        # Without Celery beat nothing else expires abandoned local sessions (and closes
        # their PENDING accounts): a new checkout is the moment to catch up.
        from prop_firm.payments.services.local import local_sessions_expire

        local_sessions_expire()

    with transaction.atomic():
        account = lifecycle.account_create_pending(user=user, plan=plan)
        purchase = Purchase.objects.create(
            user=user,
            account=account,
            plan=plan,
            gateway=gateway.name,
            amount=plan.price,
            currency=plan.currency.lower(),
            idempotency_key=f"purchase-{uuid.uuid4().hex}",
            success_url=success_url,
            cancel_url=cancel_url,
        )

    try:
        session = gateway.session_create(
            purchase=purchase, success_url=success_url, cancel_url=cancel_url, base_url=base_url
        )
    except PaymentProviderUnavailable as exc:
        purchase_abandon(
            purchase=purchase,
            status=PurchaseStatus.FAILED,
            reason="The payment provider could not open a checkout session.",
            code=exc.code,
        )
        raise

    with transaction.atomic():
        purchase = Purchase.objects.select_for_update(of=("self",)).get(pk=purchase.pk)
        purchase.session_id = session.id
        purchase.session_url = session.url
        if session.payment_intent_id and not purchase.payment_intent_id:
            purchase.payment_intent_id = session.payment_intent_id
        if purchase.status == PurchaseStatus.CREATED:
            purchase.status = PurchaseStatus.OPEN
        purchase.save()
    return purchase


def purchase_abandon(*, purchase: Purchase, status: str, reason: str, code: str = "") -> bool:
    """A purchase that will never be paid (provider failure, session expired, async payment
    failed): FAILED or EXPIRED, and its PENDING account CLOSED. Only moves forward: a paid
    purchase or an active account is left alone (returns False)."""
    with transaction.atomic():
        locked = (
            Purchase.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=purchase.pk)
        )
        if locked.status not in (PurchaseStatus.CREATED, PurchaseStatus.OPEN):
            return False
        locked.status = status
        locked.failed_at = timezone.now()
        locked.failure_message = reason
        if code:
            locked.failure_code = code
        locked.save()
        if locked.account.status == AccountStatus.PENDING:
            lifecycle.account_close(account=locked.account, reason=reason)
    return True
