"""Incoming gateway events: verified, stored once, processed once.

`webhook_event_receive` verifies the `Stripe-Signature` with stripe's own code (tolerance
300 s) and stores the event under its unique id (a redelivery only counts a delivery).
`webhook_event_process` runs the event's handler at most once: a handler's `prepare` step
asks the gateway for facts (network, no lock held), then its `apply` step writes, inside one
transaction holding the event row lock (`select_for_update(of=("self",))`), after checking
the event was not processed meanwhile. Concurrent deliveries of one event therefore apply
it once; different events of one purchase serialise on the purchase row.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput
from prop_firm.payments.gateways import (
    PaymentGateway,
    PaymentProviderUnavailable,
    gateway_for,
    gateway_get,
)
from prop_firm.payments.models import Purchase, PurchaseStatus, WebhookEvent, WebhookOutcome
from prop_firm.payments.money import from_minor_units
from prop_firm.payments.services import disputes
from prop_firm.payments.services.checkout import purchase_abandon
from prop_firm.payments.services.fulfilment import (
    FULFILLED,
    purchase_fulfil,
    purchase_intent_link,
)

logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_SECONDS = 300


class InvalidSignature(InvalidInput):
    default_code = "INVALID_SIGNATURE"
    default_message = "The webhook signature is missing, invalid or too old."


# --------------------------------------------------------------------------------------
# Receiving
# --------------------------------------------------------------------------------------


def webhook_event_receive(
    *, payload: bytes | str, signature: str | None, gateway: PaymentGateway | None = None
) -> WebhookEvent:
    """Verifies and stores one delivery. Raises InvalidSignature (400) and stores nothing
    when the signature is missing, wrong or stale, or the body is not an event."""
    gateway = gateway or gateway_get()
    secret = gateway.webhook_secret()
    if not secret:
        logger.error("No webhook secret configured for the %s gateway.", gateway.name)
        raise PaymentProviderUnavailable("Webhooks are not configured on this server.")
    try:
        body = payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload
    except UnicodeDecodeError as exc:  # not an event Stripe could have signed
        logger.warning("Webhook rejected: the body is not UTF-8.")
        raise InvalidSignature() from exc
    _signature_verify(body, signature, [secret, *_connect_secrets(gateway)])
    try:
        data = json.loads(body)
        event_id, event_type = data["id"], data["type"]
        obj = data["data"]["object"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("The webhook body is not an event.", code="INVALID_PAYLOAD") from exc
    if not (isinstance(event_id, str) and isinstance(event_type, str) and isinstance(obj, dict)):
        raise InvalidInput("The webhook body is not an event.", code="INVALID_PAYLOAD")
    return _store(data)


def _connect_secrets(gateway: PaymentGateway) -> list[str]:
    """Stripe sends events about connected accounts (`account.updated`) to a Connect
    endpoint, which has its own signing secret; one URL may serve both endpoints."""
    secret = getattr(gateway, "connect_webhook_secret", lambda: "")()
    return [secret] if secret else []


def _signature_verify(body: str, signature: str | None, secrets: list[str]) -> None:
    error = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                body, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
            return
        except stripe.SignatureVerificationError as exc:
            error = exc
    logger.warning("Webhook rejected: %s", error)
    raise InvalidSignature() from error


def _store(data: dict) -> WebhookEvent:
    created = data.get("created")
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(
                event_id=data["id"],
                type=data["type"],
                livemode=bool(data.get("livemode")),
                payload=data,
                created_at_gateway=(
                    datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else None
                ),
            )
    except IntegrityError:
        # A redelivery (or a concurrent duplicate): the first stored copy stays.
        WebhookEvent.objects.filter(event_id=data["id"]).update(
            deliveries=F("deliveries") + 1, last_received_at=timezone.now()
        )
        return WebhookEvent.objects.get(event_id=data["id"])


# --------------------------------------------------------------------------------------
# Processing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: str
    detail: str
    purchase: Purchase | None = None


@dataclass(frozen=True, slots=True)
class Handler:
    apply: Callable[[dict, Any], Handled]
    prepare: Callable[[dict], Any] | None = None


def webhook_event_process(*, event: WebhookEvent) -> WebhookEvent:
    """Applies `event` once. Unknown types are marked IGNORED. A gateway failure while
    preparing is recorded (outcome FAILED, not processed) and re-raised, so the delivery
    answers 503 and the gateway retries."""
    if event.processed_at is not None:
        return event
    handler = HANDLERS.get(event.type)
    obj = event.payload["data"]["object"]
    try:
        facts = handler.prepare(obj) if handler and handler.prepare else None
        with transaction.atomic():
            locked = WebhookEvent.objects.select_for_update(of=("self",)).get(pk=event.pk)
            if locked.processed_at is not None:
                return locked
            if handler is None:
                result = Handled(WebhookOutcome.IGNORED, "Event type not handled.")
            else:
                result = handler.apply(obj, facts)
            locked.processed_at = timezone.now()
            locked.outcome = result.outcome
            locked.outcome_detail = result.detail
            locked.purchase = result.purchase or locked.purchase
            locked.save(update_fields=["processed_at", "outcome", "outcome_detail", "purchase"])
            return locked
    except Exception as exc:
        WebhookEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
            outcome=WebhookOutcome.FAILED, outcome_detail=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise


def webhook_deliver(*, payload: bytes | str, signature: str | None) -> WebhookEvent:
    """One delivery, as the webhook endpoint handles it: verify and store, then process
    (in a Celery task when a broker is configured, in-process otherwise). The local gateway
    and `send_test_webhook` deliver through here too."""
    event = webhook_event_receive(payload=payload, signature=signature)
    if event.processed_at is not None:
        return event
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        # No worker: process here, and let a gateway failure answer 503 so Stripe retries.
        return webhook_event_process(event=event)
    from alpacabackend.queue import LEAVE_FOR_RETRY, task_enqueue
    from prop_firm.payments import tasks

    # Broker down: the event is stored unprocessed, and `webhook_events_retry` takes it.
    transaction.on_commit(
        lambda: task_enqueue(tasks.webhook_event_process, event.pk, fallback=LEAVE_FOR_RETRY)
    )
    return event


def webhook_events_retry(
    *, older_than_seconds: int = 120, max_age_days: int = 3, limit: int = 100
) -> int:
    """Processes stored events still unprocessed after a while (a crash, the gateway down,
    a lost task), for as long as Stripe itself retries (3 days). Returns how many were
    processed now."""
    now = timezone.now()
    done = 0
    pending = WebhookEvent.objects.filter(
        processed_at__isnull=True,
        received_at__lt=now - timedelta(seconds=older_than_seconds),
        received_at__gt=now - timedelta(days=max_age_days),
    )
    for event in pending.order_by("received_at")[:limit]:
        try:
            webhook_event_process(event=event)
            done += 1
        except Exception:
            logger.exception("Webhook event %s still fails", event.event_id)
    return done


# --------------------------------------------------------------------------------------
# Handlers (one per event type)
# --------------------------------------------------------------------------------------


def _ignored(detail: str, purchase: Purchase | None = None) -> Handled:
    return Handled(WebhookOutcome.IGNORED, detail, purchase)


def _processed(detail: str, purchase: Purchase | None = None) -> Handled:
    return Handled(WebhookOutcome.PROCESSED, detail, purchase)


def _by_metadata(obj: dict) -> Purchase | None:
    purchase_id = (obj.get("metadata") or {}).get("purchase_id")
    if purchase_id and str(purchase_id).isdigit():
        return Purchase.objects.filter(pk=int(purchase_id)).first()
    return None


def _purchase_for_session(obj: dict) -> Purchase | None:
    purchase = Purchase.objects.filter(session_id=obj.get("id")).first()
    if purchase is None:
        purchase = _by_metadata(obj)
        if purchase is not None and purchase.session_id and purchase.session_id != obj.get("id"):
            return None
    return purchase


def _intent_id(value) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _purchase_for_intent(intent_id: str, obj: dict) -> Purchase | None:
    if intent_id:
        purchase = Purchase.objects.filter(payment_intent_id=intent_id).first()
        if purchase is not None:
            return purchase
    purchase = _by_metadata(obj)
    if purchase is not None and purchase.payment_intent_id not in (None, "", intent_id):
        return None
    return purchase


def _fetch_session(purchase: Purchase | None, session_id: str):
    """The gateway's truth about a session (network, outside any transaction)."""
    if purchase is None or not session_id:
        return None
    return gateway_for(purchase).session_retrieve(session_id)


def _fulfilment_outcome(purchase: Purchase, session) -> Handled:
    result = purchase_fulfil(purchase=purchase, session=session)
    if result.outcome == FULFILLED:
        detail = "account activated" if result.changed else "already fulfilled"
        return _processed(detail, purchase)
    return _processed(f"not fulfilled: {result.outcome} ({result.message})", purchase)


# checkout.session.completed / async_payment_succeeded


def _session_paid_prepare(obj: dict):
    purchase = _purchase_for_session(obj)
    if purchase is None or obj.get("payment_status") != "paid":
        return purchase, None
    return purchase, _fetch_session(purchase, obj["id"])


def _session_paid_apply(obj: dict, facts) -> Handled:
    purchase, session = facts
    if purchase is None:
        return _ignored("no purchase for this session")
    if session is None:
        return _processed("session completed, payment pending (asynchronous method)", purchase)
    return _fulfilment_outcome(purchase, session)


# checkout.session.async_payment_failed / expired


def _session_abandoned(status: str, reason: str):
    def apply(obj: dict, _facts) -> Handled:
        purchase = _purchase_for_session(obj)
        if purchase is None:
            return _ignored("no purchase for this session")
        if purchase_abandon(purchase=purchase, status=status, reason=reason):
            return _processed(f"purchase {status.lower()}, pending account closed", purchase)
        return _ignored(f"late: purchase is {purchase.status.lower()}", purchase)

    return apply


# payment_intent.succeeded / payment_failed


def _intent_succeeded_prepare(obj: dict):
    purchase = _purchase_for_intent(obj.get("id", ""), obj)
    if purchase is None or purchase.status == PurchaseStatus.PAID:
        return purchase, None
    return purchase, _fetch_session(purchase, purchase.session_id or "")


def _intent_succeeded_apply(obj: dict, facts) -> Handled:
    purchase, session = facts
    if purchase is None:
        return _ignored("no purchase for this payment intent")
    purchase_intent_link(purchase=purchase, payment_intent_id=obj["id"])
    if session is None:
        return _processed("payment intent linked", purchase)
    return _fulfilment_outcome(purchase, session)


def _intent_failed_apply(obj: dict, _facts) -> Handled:
    purchase = _purchase_for_intent(obj.get("id", ""), obj)
    if purchase is None:
        return _ignored("no purchase for this payment intent")
    error = obj.get("last_payment_error") or {}
    code = error.get("decline_code") or error.get("code") or "payment_failed"
    message = error.get("message") or "The payment failed."
    if disputes.purchase_payment_failed(
        purchase=purchase, code=code, message=message, payment_intent_id=obj.get("id", "")
    ):
        return _processed(f"payment failure recorded: {code}", purchase)
    return _ignored(f"late: purchase is {purchase.status.lower()}", purchase)


# charge.refunded


def _charge_refunded_apply(obj: dict, _facts) -> Handled:
    purchase = _purchase_for_intent(_intent_id(obj.get("payment_intent")), obj)
    if purchase is None:
        return _ignored("no purchase for this charge")
    if purchase.status != PurchaseStatus.PAID:
        return _ignored("refund of a purchase that was never paid", purchase)
    refunded = from_minor_units(obj.get("amount_refunded") or 0, purchase.currency)
    full = bool(obj.get("refunded")) or refunded >= purchase.amount
    if refunded <= Decimal("0") and not full:
        return _ignored("nothing refunded", purchase)
    detail = disputes.purchase_refund_record(purchase=purchase, amount_refunded=refunded, full=full)
    return _processed(detail, purchase)


# charge.dispute.created / closed


def _dispute_purchase(obj: dict) -> Purchase | None:
    return _purchase_for_intent(_intent_id(obj.get("payment_intent")), obj)


def _dispute_created_apply(obj: dict, _facts) -> Handled:
    purchase = _dispute_purchase(obj)
    if purchase is None:
        return _ignored("no purchase for this dispute")
    detail = disputes.purchase_dispute_open(
        purchase=purchase,
        dispute_id=obj.get("id", ""),
        status=obj.get("status", ""),
        reason=obj.get("reason", ""),
    )
    return _processed(detail, purchase)


def _dispute_closed_apply(obj: dict, _facts) -> Handled:
    purchase = _dispute_purchase(obj)
    if purchase is None:
        return _ignored("no purchase for this dispute")
    detail = disputes.purchase_dispute_close(
        purchase=purchase, dispute_id=obj.get("id", ""), status=obj.get("status", "")
    )
    return _processed(detail, purchase)


# transfer.created / transfer.reversed (payouts through Stripe Connect)


def _transfer_apply(payout_handler_name: str):
    def apply(obj: dict, _facts) -> Handled:
        from prop_firm.payouts import services as payouts

        payout = getattr(payouts, payout_handler_name)(obj)
        if payout is None:
            return _ignored("no payout for this transfer")
        return _processed(f"payout {payout.pk} is {payout.status.lower()}")

    return apply


# account.updated (the trader's Connect account: onboarding finished, payouts on or off)


def _account_updated_prepare(obj: dict):
    """The gateway's account as it is now, not the event's copy: events may come late or
    out of order."""
    from prop_firm.payouts import connect

    return connect.connected_account_for_event(obj.get("id") or "")


def _account_updated_apply(obj: dict, facts) -> Handled:
    from prop_firm.payouts import connect

    record, account = facts
    if record is None:
        return _ignored("no connected account of ours")
    record = connect.connected_account_apply(record_id=record.pk, account=account)
    state = "enabled" if record.payouts_enabled else "not enabled"
    return _processed(f"connected account {record.stripe_account_id}: payouts {state}")


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": Handler(_session_paid_apply, _session_paid_prepare),
    "checkout.session.async_payment_succeeded": Handler(_session_paid_apply, _session_paid_prepare),
    "checkout.session.async_payment_failed": Handler(
        _session_abandoned(PurchaseStatus.FAILED, "the payment failed")
    ),
    "checkout.session.expired": Handler(
        _session_abandoned(PurchaseStatus.EXPIRED, "the checkout session expired unpaid")
    ),
    "payment_intent.succeeded": Handler(_intent_succeeded_apply, _intent_succeeded_prepare),
    "payment_intent.payment_failed": Handler(_intent_failed_apply),
    "charge.refunded": Handler(_charge_refunded_apply),
    "charge.dispute.created": Handler(_dispute_created_apply),
    "charge.dispute.closed": Handler(_dispute_closed_apply),
    "transfer.created": Handler(_transfer_apply("payout_transfer_created")),
    "transfer.reversed": Handler(_transfer_apply("payout_transfer_reversed")),
    "account.updated": Handler(_account_updated_apply, _account_updated_prepare),
}
