"""Payouts: the funded trader's share of the profit, withdrawn from the account's ledger.

Loaded by `prop_firm/models.py` (`from ... import *`), so `Payout` belongs to the `prop_firm`
app and its migrations. The flows live in `prop_firm.payouts.services`.

Money: `amount` is P = B − B0 withdrawn from the ledger at request; `trader_share` is
P × profit_split / 100, what the firm owes (half-even to cents). Both are stored, so a later
change of the plan's split never changes an existing payout.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from alpacabackend.money import MONEY_DIGITS

__all__ = ["ConnectedAccount", "Payout", "PayoutMethod", "PayoutStatus"]

_MONEY = MONEY_DIGITS


class PayoutStatus(models.TextChoices):
    PENDING = "PENDING", "Pending review"
    # Approved and being paid: a Stripe transfer in flight, or money sent by hand (bank
    # transfer, crypto, PayPal) until staff mark it completed.
    PROCESSING = "PROCESSING", "Approved, payment in progress"
    COMPLETED = "COMPLETED", "Paid"
    REJECTED = "REJECTED", "Rejected"
    FAILED = "FAILED", "Transfer failed"
    CANCELLED = "CANCELLED", "Cancelled by the trader"


class PayoutMethod(models.TextChoices):
    STRIPE = "stripe", "Stripe Connect transfer"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CRYPTO = "crypto", "Crypto"
    PAYPAL = "paypal", "PayPal"


# P is out of the ledger and the outcome is undecided: the account has a payout "pending"
# (RULES.md), and no other may be requested. FAILED stays open until an admin retries the
# transfer or rejects the payout (which credits P back).
OPEN_STATUSES = (PayoutStatus.PENDING, PayoutStatus.PROCESSING, PayoutStatus.FAILED)
IN_FLIGHT_STATUSES = (PayoutStatus.PENDING, PayoutStatus.PROCESSING)
# P stayed withdrawn: these start the next waiting period (RULES "since the last payout").
WITHDRAWN_STATUSES = (*OPEN_STATUSES, PayoutStatus.COMPLETED)
# P was credited back to the account.
CREDITED_BACK_STATUSES = (PayoutStatus.REJECTED, PayoutStatus.CANCELLED)


class Payout(models.Model):
    account = models.ForeignKey(
        "prop_firm.PropFirmAccount", on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.DecimalField(**_MONEY, help_text="P: the profit withdrawn from the ledger.")
    profit_split = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="The plan's split at request, percent."
    )
    trader_share = models.DecimalField(
        **_MONEY, help_text="P × profit_split / 100: what the trader is paid."
    )
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(
        max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PENDING
    )
    payment_method = models.CharField(max_length=20, choices=PayoutMethod.choices)
    payment_details = models.JSONField(default=dict, blank=True)

    stripe_transfer_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    transfer_attempt = models.PositiveSmallIntegerField(
        default=0, help_text="Stripe transfers tried; part of the idempotency key."
    )
    reference = models.CharField(
        max_length=255, blank=True, help_text="The manual payment's reference (bank, tx hash)."
    )
    reason = models.TextField(blank=True, help_text="Why it was rejected or cancelled.")
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.TextField(blank=True, help_text="The provider's message.")
    admin_notes = models.TextField(blank=True)
    marks_withdrawn = models.JSONField(
        default=dict,
        blank=True,
        help_text="How far the withdrawal moved each balance mark (restored on a credit back).",
    )

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who approved, completed or rejected it.",
    )
    requested_at = models.DateTimeField()
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff approved or rejected it."
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    credited_back_at = models.DateTimeField(
        null=True, blank=True, help_text="When P went back to the account (reject, cancel)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(trader_share__gte=0)
                & Q(trader_share__lte=models.F("amount")),
                name="payout_amounts_valid",
            ),
            # The database's own guard behind the account lock: one payout in review or in
            # flight per account. (FAILED is left out: a completed transfer that Stripe
            # reverses becomes FAILED whatever else is open; the services count it as open.)
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=[s.value for s in IN_FLIGHT_STATUSES]),
                name="payout_one_open_per_account",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"]),
            models.Index(fields=["account", "status"]),
        ]

    def __str__(self) -> str:
        return f"Payout #{self.pk} {self.account_id} {self.amount} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ConnectedAccount(models.Model):
    """The trader's own Stripe Connect (Express) account, the destination of Stripe payouts.

    Created once by onboarding; its state is Stripe's, copied here by `account.updated`
    events and by the status endpoint (both ask Stripe for the account's current state).
    A Stripe payout needs `payouts_enabled`.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connected_account"
    )
    gateway = models.CharField(max_length=10, help_text="stripe, or local (offline stand-in).")
    stripe_account_id = models.CharField(max_length=64, unique=True)
    payouts_enabled = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_currently_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=100, blank=True)
    synced_at = models.DateTimeField(
        null=True, blank=True, help_text="When Stripe's state was last copied here."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({self.user_id})"
