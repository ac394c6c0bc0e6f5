"""Stripe-format events for the local gateway and `manage.py send_test_webhook`.

The objects carry the fields our handlers and Stripe's documentation rely on (ids, amounts
in minor units, statuses, metadata); they are signed exactly as Stripe signs
(`t=<unix time>,v1=<HMAC-SHA256 of "{t}.{payload}">`).
"""

import json
import secrets
import time
from decimal import Decimal

import stripe

from prop_firm.payments.gateways.local import connect_account_object, session_metadata
from prop_firm.payments.money import to_minor_units

API_VERSION = stripe.api_version


def new_event_id() -> str:
    return f"evt_local_{secrets.token_hex(12)}"


def event_payload(
    event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None
) -> dict:
    return {
        "id": event_id or new_event_id(),
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def event_encode(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"))


def event_sign(body: str, secret: str, *, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for `body`, as Stripe computes it."""
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)


def _ids(purchase) -> tuple[str, str]:
    record = getattr(purchase, "local_session", None)
    session_id = purchase.session_id or (record.session_id if record else "cs_test_unknown")
    intent_id = purchase.payment_intent_id or (
        record.payment_intent_id if record else f"pi_test_{purchase.pk}"
    )
    return session_id, intent_id


def _cents(purchase, amount: Decimal | None) -> int:
    return to_minor_units(purchase.amount if amount is None else amount, purchase.currency)


def session_object(
    purchase,
    *,
    status: str = "complete",
    payment_status: str = "paid",
    amount: Decimal | None = None,
    currency: str | None = None,
) -> dict:
    session_id, intent_id = _ids(purchase)
    cents = _cents(purchase, amount)
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": cents,
        "amount_total": cents,
        "client_reference_id": str(purchase.account_id),
        "currency": currency or purchase.currency,
        "customer_details": {"email": purchase.user.email},
        "customer_email": purchase.user.email,
        "livemode": False,
        "metadata": session_metadata(purchase),
        "mode": "payment",
        "payment_intent": intent_id if status == "complete" else None,
        "payment_status": payment_status,
        "status": status,
        "success_url": purchase.success_url,
        "cancel_url": purchase.cancel_url,
        "url": None if status != "open" else purchase.session_url,
    }


def payment_intent_object(
    purchase,
    *,
    status: str = "succeeded",
    error_code: str = "card_declined",
    decline_code: str = "generic_decline",
    error_message: str = "Your card was declined.",
) -> dict:
    _session_id, intent_id = _ids(purchase)
    failed = status == "requires_payment_method"
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": _cents(purchase, None),
        "amount_received": 0 if failed else _cents(purchase, None),
        "currency": purchase.currency,
        "latest_charge": None if failed else f"ch_local_{purchase.pk}",
        "last_payment_error": (
            {
                "type": "card_error",
                "code": error_code,
                "decline_code": decline_code,
                "message": error_message,
            }
            if failed
            else None
        ),
        "livemode": False,
        "metadata": session_metadata(purchase),
        "status": status,
    }


def charge_object(purchase, *, amount_refunded: Decimal | None = None) -> dict:
    _session_id, intent_id = _ids(purchase)
    total = _cents(purchase, None)
    refunded = total if amount_refunded is None else _cents(purchase, amount_refunded)
    return {
        "id": f"ch_local_{purchase.pk}",
        "object": "charge",
        "amount": total,
        "amount_captured": total,
        "amount_refunded": refunded,
        "captured": True,
        "currency": purchase.currency,
        "livemode": False,
        "metadata": session_metadata(purchase),
        "paid": True,
        "payment_intent": intent_id,
        "refunded": refunded >= total,
        "status": "succeeded",
    }


def dispute_object(
    purchase, *, status: str = "needs_response", reason: str = "fraudulent", dispute_id=None
) -> dict:
    _session_id, intent_id = _ids(purchase)
    return {
        "id": dispute_id or f"dp_local_{purchase.pk}",
        "object": "dispute",
        "amount": _cents(purchase, None),
        "charge": f"ch_local_{purchase.pk}",
        "currency": purchase.currency,
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": intent_id,
        "reason": reason,
        "status": status,
    }


def event_for(event_type: str, purchase, **options) -> dict:
    """A Stripe-format event of `event_type` about `purchase`. Options: `amount`, `currency`
    (sessions), `amount_refunded` (charge.refunded), `dispute_status` (disputes)."""
    amount = options.get("amount")
    currency = options.get("currency")
    if event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        obj = session_object(purchase, amount=amount, currency=currency)
    elif event_type == "checkout.session.async_payment_failed":
        obj = session_object(purchase, payment_status="unpaid", amount=amount)
    elif event_type == "checkout.session.expired":
        obj = session_object(purchase, status="expired", payment_status="unpaid", amount=amount)
    elif event_type == "payment_intent.succeeded":
        obj = payment_intent_object(purchase)
    elif event_type == "payment_intent.payment_failed":
        obj = payment_intent_object(purchase, status="requires_payment_method")
    elif event_type == "charge.refunded":
        obj = charge_object(purchase, amount_refunded=options.get("amount_refunded"))
    elif event_type in ("charge.dispute.created", "charge.dispute.closed"):
        default = "needs_response" if event_type.endswith("created") else "lost"
        obj = dispute_object(purchase, status=options.get("dispute_status") or default)
    else:
        raise ValueError(f"No builder for event type {event_type!r}.")
    return event_payload(event_type, obj)


def account_updated_event(record) -> dict:
    """`account.updated` about a local Connect account (`LocalConnectAccount`)."""
    return event_payload("account.updated", connect_account_object(record))


SUPPORTED_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
)
