"""The local gateway: an offline stand-in for Stripe Checkout, for development and demos.

Its sessions live in our own database (`LocalCheckoutSession`); its checkout page is served
by this project (`/payments/local/<session_id>/`); its events are Stripe-format, signed with
the local webhook secret and delivered through the same webhook code as Stripe's.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.urls import reverse

from prop_firm.payments.gateways.base import CheckoutSession, PaymentIntent
from prop_firm.payments.models import LocalCheckoutSession


def local_webhook_secret() -> str:
    """`PAYMENTS_LOCAL_WEBHOOK_SECRET`, or one derived from SECRET_KEY so the embedded
    default works with nothing configured."""
    configured = getattr(settings, "PAYMENTS_LOCAL_WEBHOOK_SECRET", "")
    if configured:
        return configured
    digest = hmac.new(
        settings.SECRET_KEY.encode(), b"prop_firm.payments.local-webhook", hashlib.sha256
    ).hexdigest()
    return f"whsec_local_{digest[:32]}"


def _session(record: LocalCheckoutSession, url: str = "") -> CheckoutSession:
    return CheckoutSession(
        id=record.session_id,
        url=url or record.purchase.session_url,
        status=record.status,
        payment_status=record.payment_status,
        amount_total=record.amount,
        currency=record.currency,
        payment_intent_id=record.payment_intent_id,
        metadata=session_metadata(record.purchase),
    )


def session_metadata(purchase) -> dict:
    return {
        "purchase_id": str(purchase.pk),
        "account_id": str(purchase.account_id),
        "plan_id": str(purchase.plan_id),
        "user_id": str(purchase.user_id),
    }


class LocalGateway:
    name = "local"

    def session_create(
        self, *, purchase, success_url: str, cancel_url: str, base_url: str = ""
    ) -> CheckoutSession:
        record = LocalCheckoutSession.objects.create(
            session_id=f"cs_local_{secrets.token_hex(20)}",
            purchase=purchase,
            amount=purchase.amount,
            currency=purchase.currency,
            payment_intent_id=f"pi_local_{secrets.token_hex(12)}",
            customer_email=purchase.user.email,
        )
        base = (getattr(settings, "PAYMENTS_LOCAL_BASE_URL", "") or base_url).rstrip("/")
        path = reverse("payments_local:checkout", args=[record.session_id])
        return _session(record, url=f"{base}{path}")

    def session_retrieve(self, session_id: str) -> CheckoutSession:
        record = LocalCheckoutSession.objects.select_related("purchase").get(session_id=session_id)
        return _session(record)

    def payment_intent_retrieve(self, payment_intent_id: str) -> PaymentIntent:
        record = LocalCheckoutSession.objects.select_related("purchase").get(
            payment_intent_id=payment_intent_id
        )
        return PaymentIntent(
            id=record.payment_intent_id,
            status="succeeded" if record.payment_status == "paid" else "requires_payment_method",
            amount=record.amount,
            currency=record.currency,
            metadata=session_metadata(record.purchase),
        )

    def webhook_secret(self) -> str:
        return local_webhook_secret()

    def publishable_key(self) -> str:
        return ""
