"""The local gateway: an offline stand-in for Stripe Checkout, for development and demos.

Its sessions live in our own database (`LocalCheckoutSession`); its checkout page is served
by this project (`/payments/local/<session_id>/`); its events are Stripe-format, signed with
the local webhook secret and delivered through the same webhook code as Stripe's.
"""

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.core import signing
from django.urls import reverse

from prop_firm.payments.gateways.base import (
    AccountLink,
    CheckoutSession,
    ConnectAccount,
    PaymentIntent,
    connect_account_from,
)
from prop_firm.payments.models import LocalCheckoutSession, LocalConnectAccount

# What Stripe asks of a new Express account before it pays out (a representative subset).
CONNECT_REQUIREMENTS = [
    "business_type",
    "external_account",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
]
# Stripe's account links expire after a few minutes; the local page's after this.
ACCOUNT_LINK_LIFETIME_SECONDS = 30 * 60
LINK_SALT = "prop_firm.payments.local-connect-link"


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


def connect_account_object(record: LocalConnectAccount) -> dict:
    """The local account in the shape of Stripe's `account` object."""
    due = list(record.requirements_currently_due or [])
    return {
        "id": record.account_id,
        "object": "account",
        "business_type": None if "business_type" in due else "individual",
        "capabilities": {"transfers": "active" if record.payouts_enabled else "inactive"},
        "charges_enabled": record.charges_enabled,
        "country": "US",
        "created": int(record.created_at.timestamp()) if record.created_at else int(time.time()),
        "default_currency": "usd",
        "details_submitted": record.details_submitted,
        "email": record.email,
        "metadata": dict(record.metadata or {}),
        "payouts_enabled": record.payouts_enabled,
        "requirements": {
            "currently_due": due,
            "eventually_due": due,
            "past_due": [],
            "pending_verification": [],
            "disabled_reason": "requirements.past_due" if due else None,
            "current_deadline": None,
            "errors": [],
        },
        "type": "express",
    }


def account_link_token(account_id: str) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign(account_id)


def account_link_account_id(token: str) -> str:
    """The account a link token opens; SignatureExpired / BadSignature when it may not."""
    return signing.TimestampSigner(salt=LINK_SALT).unsign(
        token, max_age=ACCOUNT_LINK_LIFETIME_SECONDS
    )


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

    # Connect ----------------------------------------------------------------------------

    def connect_account_create(self, *, user) -> ConnectAccount:
        record = LocalConnectAccount.objects.filter(metadata__user_id=str(user.pk)).first()
        if record is None:
            record = LocalConnectAccount.objects.create(
                account_id=f"acct_local_{secrets.token_hex(8)}",
                email=user.email,
                requirements_currently_due=list(CONNECT_REQUIREMENTS),
                metadata={"user_id": str(user.pk)},
            )
        return connect_account_from(connect_account_object(record))

    def connect_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str, base_url: str = ""
    ) -> AccountLink:
        LocalConnectAccount.objects.filter(account_id=account_id).update(
            refresh_url=refresh_url, return_url=return_url
        )
        base = (getattr(settings, "PAYMENTS_LOCAL_BASE_URL", "") or base_url).rstrip("/")
        path = reverse("payments_local:connect", args=[account_link_token(account_id)])
        return AccountLink(
            url=f"{base}{path}", expires_at=int(time.time()) + ACCOUNT_LINK_LIFETIME_SECONDS
        )

    def connect_account_retrieve(self, account_id: str) -> ConnectAccount:
        record = LocalConnectAccount.objects.get(account_id=account_id)
        return connect_account_from(connect_account_object(record))
