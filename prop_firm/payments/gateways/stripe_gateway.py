"""Stripe Checkout through the official SDK (`StripeClient`, `client.v1...`)."""

import logging

import stripe
from django.conf import settings

from prop_firm.payments.gateways.base import (
    AccountLink,
    CheckoutSession,
    ConnectAccount,
    PaymentIntent,
    PaymentProviderError,
    PaymentProviderUnavailable,
    connect_account_from,
)
from prop_firm.payments.money import from_minor_units, to_minor_units

logger = logging.getLogger(__name__)

# Worth retrying later: the request may not have reached Stripe, or Stripe is struggling.
_TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def stripe_client() -> stripe.StripeClient:
    """The one place a StripeClient is built. Requests-based HTTP (so tests stub it with
    `responses`), bounded timeout, and network retries that reuse the idempotency key."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=stripe.RequestsClient(timeout=getattr(settings, "STRIPE_TIMEOUT_SECONDS", 20)),
        max_network_retries=getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 2),
    )


def _provider_error(exc: stripe.StripeError) -> PaymentProviderUnavailable:
    logger.warning(
        "Stripe request failed: %s (%s, request %s)",
        exc.user_message or str(exc),
        type(exc).__name__,
        getattr(exc, "request_id", None),
    )
    if isinstance(exc, _TRANSIENT):
        return PaymentProviderUnavailable()
    return PaymentProviderError()


def _metadata(obj) -> dict:
    raw = obj.get("metadata") or {}
    return {str(key): str(value) for key, value in raw.items()}


def _session(obj: stripe.checkout.Session) -> CheckoutSession:
    data = obj.to_dict()
    currency = data.get("currency") or ""
    amount = data.get("amount_total")
    intent = data.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return CheckoutSession(
        id=data["id"],
        url=data.get("url") or "",
        status=data.get("status") or "",
        payment_status=data.get("payment_status") or "",
        amount_total=from_minor_units(amount, currency) if amount is not None else None,
        currency=currency.lower(),
        payment_intent_id=intent or None,
        metadata=_metadata(data),
    )


def _intent(obj: stripe.PaymentIntent) -> PaymentIntent:
    data = obj.to_dict()
    currency = data.get("currency") or ""
    amount = data.get("amount")
    return PaymentIntent(
        id=data["id"],
        status=data.get("status") or "",
        amount=from_minor_units(amount, currency) if amount is not None else None,
        currency=currency.lower(),
        metadata=_metadata(data),
    )


def with_session_id(url: str) -> str:
    """Stripe replaces `{CHECKOUT_SESSION_ID}` in success_url; ask for it when absent."""
    if "{CHECKOUT_SESSION_ID}" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}session_id={{CHECKOUT_SESSION_ID}}"


class StripeGateway:
    name = "stripe"

    def session_create(
        self, *, purchase, success_url: str, cancel_url: str, base_url: str = ""
    ) -> CheckoutSession:
        plan = purchase.plan
        metadata = {
            "purchase_id": str(purchase.pk),
            "account_id": str(purchase.account_id),
            "plan_id": str(plan.pk),
            "user_id": str(purchase.user_id),
        }
        if plan.stripe_price_id:
            line_item = {"price": plan.stripe_price_id, "quantity": 1}
        else:
            line_item = {
                "price_data": {
                    "currency": purchase.currency,
                    "unit_amount": to_minor_units(purchase.amount, purchase.currency),
                    "product_data": {"name": plan.name},
                },
                "quantity": 1,
            }
        params = {
            "mode": "payment",
            "line_items": [line_item],
            "success_url": with_session_id(success_url),
            "cancel_url": cancel_url,
            "client_reference_id": str(purchase.account_id),
            "customer_email": purchase.user.email,
            "metadata": metadata,
            # Session metadata is not copied to the payment intent: give it its own.
            "payment_intent_data": {"metadata": metadata},
        }
        try:
            session = stripe_client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": purchase.idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return _session(session)

    def session_retrieve(self, session_id: str) -> CheckoutSession:
        try:
            return _session(stripe_client().v1.checkout.sessions.retrieve(session_id))
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc

    def payment_intent_retrieve(self, payment_intent_id: str) -> PaymentIntent:
        try:
            return _intent(stripe_client().v1.payment_intents.retrieve(payment_intent_id))
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc

    def webhook_secret(self) -> str:
        return settings.STRIPE_WEBHOOK_SECRET

    def publishable_key(self) -> str:
        return settings.STRIPE_PUBLIC_KEY

    def connect_webhook_secret(self) -> str:
        return getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", "")

    # Connect ----------------------------------------------------------------------------

    def connect_account_create(self, *, user) -> ConnectAccount:
        params = {
            "type": "express",
            "email": user.email,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"user_id": str(user.pk)},
        }
        try:
            account = stripe_client().v1.accounts.create(
                params=params,
                # One account per trader: a retry (or a double click) gets the same one back.
                options={"idempotency_key": f"connect-account-{user.pk}"},
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return connect_account_from(account.to_dict())

    def connect_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str, base_url: str = ""
    ) -> AccountLink:
        try:
            link = stripe_client().v1.account_links.create(
                params={
                    "account": account_id,
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                    "type": "account_onboarding",
                }
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        data = link.to_dict()
        return AccountLink(url=data["url"], expires_at=data.get("expires_at"))

    def connect_account_retrieve(self, account_id: str) -> ConnectAccount:
        try:
            account = stripe_client().v1.accounts.retrieve(account_id)
        except stripe.StripeError as exc:
            raise _provider_error(exc) from exc
        return connect_account_from(account.to_dict())
