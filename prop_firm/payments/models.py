"""Payments data: what a trader bought, the events the gateway sent, the local gateway's sessions.

Money is a Decimal plus a currency; minor units (cents) exist only at the gateway edge
(`prop_firm.payments.money`). Loaded by `prop_firm/models.py` (`from ... import *`), so these
models belong to the `prop_firm` app and its migrations.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from alpacabackend.money import MONEY_DIGITS

_MONEY = MONEY_DIGITS


class Gateway(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    LOCAL = "local", "Local (offline) gateway"


class PurchaseStatus(models.TextChoices):
    CREATED = "CREATED", "Created, no checkout session yet"
    OPEN = "OPEN", "Checkout session open"
    PAID = "PAID", "Paid"
    FAILED = "FAILED", "Failed"
    EXPIRED = "EXPIRED", "Expired"


class Purchase(models.Model):
    """One checkout of one plan: the PENDING account it pays for and the gateway's session.

    `status` only moves forward: CREATED → OPEN → PAID | FAILED | EXPIRED, and PAID is final
    (a refund or dispute is recorded beside it, on `amount_refunded` and `dispute_status`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prop_purchases"
    )
    account = models.OneToOneField(
        "prop_firm.PropFirmAccount", on_delete=models.PROTECT, related_name="purchase"
    )
    plan = models.ForeignKey(
        "prop_firm.PropFirmPlan", on_delete=models.PROTECT, related_name="purchases"
    )
    gateway = models.CharField(max_length=10, choices=Gateway.choices)
    amount = models.DecimalField(**_MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=PurchaseStatus.choices, default=PurchaseStatus.CREATED
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    session_url = models.TextField(blank=True)
    payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    success_url = models.URLField(max_length=2000)
    cancel_url = models.URLField(max_length=2000)

    # The last failed attempt (the trader may retry another card in the same session).
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.TextField(blank=True)

    amount_refunded = models.DecimalField(**_MONEY, default=Decimal("0"))
    dispute_id = models.CharField(max_length=255, blank=True)
    dispute_status = models.CharField(max_length=40, blank=True)

    needs_review = models.BooleanField(
        default=False, help_text="Flagged for an admin (amount mismatch, refund, dispute...)."
    )
    review_reason = models.TextField(blank=True)

    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount_refunded__gte=0),
                name="purchase_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="PAID") | Q(paid_at__isnull=False),
                name="purchase_paid_has_paid_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Purchase #{self.pk} {self.amount} {self.currency.upper()} ({self.status})"


class WebhookOutcome(models.TextChoices):
    RECEIVED = "RECEIVED", "Received, not processed yet"
    PROCESSED = "PROCESSED", "Processed"
    IGNORED = "IGNORED", "Ignored"
    FAILED = "FAILED", "Processing failed (will be retried)"


class WebhookEvent(models.Model):
    """Every verified event, once per gateway event id, with what processing made of it."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    created_at_gateway = models.DateTimeField(
        null=True, blank=True, help_text="The event's own `created` time."
    )
    purchase = models.ForeignKey(
        Purchase, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    deliveries = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=WebhookOutcome.choices, default=WebhookOutcome.RECEIVED
    )
    outcome_detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["processed_at", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class LocalSessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETE = "complete", "Complete"
    EXPIRED = "expired", "Expired"


class LocalCheckoutSession(models.Model):
    """The local gateway's own record of a checkout session: its side of the counter, the
    truth fulfilment asks for (as it asks Stripe for a Checkout Session)."""

    session_id = models.CharField(max_length=255, unique=True)
    purchase = models.OneToOneField(
        Purchase, on_delete=models.CASCADE, related_name="local_session"
    )
    amount = models.DecimalField(**_MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=LocalSessionStatus.choices, default=LocalSessionStatus.OPEN
    )
    payment_status = models.CharField(max_length=10, default="unpaid")
    payment_intent_id = models.CharField(max_length=255, unique=True)
    customer_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.session_id} ({self.status}, {self.payment_status})"


class LocalConnectAccount(models.Model):
    """The local gateway's own record of a Connect (Express) account: its side of the counter,
    what `accounts.retrieve` answers, changed only by its onboarding page."""

    account_id = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    payouts_enabled = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_currently_due = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The latest account link's addresses (a Stripe Account Link carries them too).
    refresh_url = models.URLField(max_length=2000, blank=True)
    return_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.account_id} (payouts {'on' if self.payouts_enabled else 'off'})"


__all__ = [
    "Gateway",
    "LocalCheckoutSession",
    "LocalConnectAccount",
    "LocalSessionStatus",
    "Purchase",
    "PurchaseStatus",
    "WebhookEvent",
    "WebhookOutcome",
]
