"""Trades (ticket style: an order that becomes a position) and the money ledger."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When

from alpacabackend.db import AppendOnlyModel
from alpacabackend.money import MONEY_DIGITS, PRICE_DIGITS, QUANTITY_DIGITS

MONEY = MONEY_DIGITS
PRICE = PRICE_DIGITS
QUANTITY = QUANTITY_DIGITS


class Direction(models.TextChoices):
    LONG = "LONG", "Long"
    SHORT = "SHORT", "Short"


class OrderType(models.TextChoices):
    MARKET = "MARKET", "Market"
    LIMIT = "LIMIT", "Limit"
    STOP = "STOP", "Stop"
    STOP_LIMIT = "STOP_LIMIT", "Stop limit"


class TimeInForce(models.TextChoices):
    DAY = "DAY", "Day"
    GTC = "GTC", "Good till cancelled"


class TradeStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    OPEN = "OPEN", "Open"
    CLOSED = "CLOSED", "Closed"
    CANCELLED = "CANCELLED", "Cancelled"
    REJECTED = "REJECTED", "Rejected"
    EXPIRED = "EXPIRED", "Expired"


# A live trade: an open position or a pending order (the others are finished).
LIVE_STATUSES = (TradeStatus.OPEN, TradeStatus.PENDING)
# 0 for a live trade, 1 for a finished one: the first key of the unpaged trade list, and of
# the index that serves it (the same expression, or PostgreSQL would not match them and would
# sort every trade of the account).
LIVE_FIRST = Case(
    When(status__in=LIVE_STATUSES, then=0),
    default=1,
    output_field=models.IntegerField(),
)


class PositionEffect(models.TextChoices):
    """What an order does to the account's position in its symbol."""

    OPEN = "OPEN", "Opens a new position in its direction"
    REDUCE = "REDUCE", "Reduces the opposite position first; the rest opens"


class CloseReason(models.TextChoices):
    MANUAL = "MANUAL", "Closed by the trader"
    STOP_LOSS = "STOP_LOSS", "Stop-loss"
    TAKE_PROFIT = "TAKE_PROFIT", "Take-profit"
    LIQUIDATION = "LIQUIDATION", "Liquidated"


class Trade(models.Model):
    uuid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="The order's id in the Alpaca-compatible API (Alpaca's ids are UUIDs).",
    )
    # No index of its own: every index in Meta leads with the account (one less per insert).
    account = models.ForeignKey(
        settings.PAPER_TRADING_ACCOUNT_MODEL,
        on_delete=models.PROTECT,
        related_name="trades",
        db_index=False,
    )
    asset = models.ForeignKey("core.Asset", on_delete=models.PROTECT, related_name="trades")
    direction = models.CharField(max_length=5, choices=Direction.choices)
    order_type = models.CharField(
        max_length=10, choices=OrderType.choices, default=OrderType.MARKET
    )
    time_in_force = models.CharField(
        max_length=3, choices=TimeInForce.choices, default=TimeInForce.GTC
    )
    status = models.CharField(
        max_length=10, choices=TradeStatus.choices, default=TradeStatus.PENDING
    )
    position_effect = models.CharField(
        max_length=6,
        choices=PositionEffect.choices,
        default=PositionEffect.OPEN,
        help_text="REDUCE (the side format): when it fills, the order first closes the open "
        "trades of the opposite direction, oldest first; only the rest opens a position.",
    )
    quantity = models.DecimalField(**QUANTITY)
    limit_price = models.DecimalField(**PRICE, null=True, blank=True)
    stop_price = models.DecimalField(**PRICE, null=True, blank=True)
    stop_triggered_at = models.DateTimeField(null=True, blank=True)
    entry_price = models.DecimalField(**PRICE, null=True, blank=True)
    entry_at = models.DateTimeField(null=True, blank=True)
    exit_price = models.DecimalField(**PRICE, null=True, blank=True)
    exit_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=12, choices=CloseReason.choices, blank=True)
    stop_loss = models.DecimalField(**PRICE, null=True, blank=True)
    take_profit = models.DecimalField(**PRICE, null=True, blank=True)
    commission = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="Total charged: entry and exit fills."
    )
    realized_pl = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Net of commission: what the trade added to B."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    split_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="splits",
        help_text="The trade this one was split from by a partial close.",
    )
    notes = models.TextField(blank=True)
    rejection_reason = models.TextField(
        blank=True, help_text="Why the system rejected, expired or cancelled the order."
    )
    client_order_id = models.CharField(max_length=64, null=True, blank=True)
    idempotency_key = models.CharField(
        max_length=128, null=True, blank=True, help_text="Idempotency-Key of the order."
    )
    close_idempotency_key = models.CharField(
        max_length=128, null=True, blank=True, help_text="Idempotency-Key of the close."
    )
    closing_client_order_id = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text="client_order_id of the reducing order that closed this trade.",
    )
    closing_idempotency_key = models.CharField(
        max_length=128,
        null=True,
        blank=True,
        help_text="Idempotency-Key of the reducing order that closed this trade.",
    )
    hidden_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the trader removed this finished trade from their own lists. The row, "
        "its ledger entries and the statistics are untouched; staff still see it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "client_order_id"],
                condition=Q(client_order_id__isnull=False),
                name="trade_client_order_id_unique",
            ),
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="trade_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["account", "close_idempotency_key"],
                condition=Q(close_idempotency_key__isnull=False),
                name="trade_close_idempotency_key_unique",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="trade_quantity_positive"),
            # A filled trade always knows its entry; a closed one its exit and its result.
            models.CheckConstraint(
                condition=~Q(status__in=["OPEN", "CLOSED"]) | Q(entry_price__isnull=False),
                name="trade_filled_has_entry",
            ),
            models.CheckConstraint(
                condition=~Q(status="CLOSED")
                | (Q(exit_price__isnull=False) & Q(realized_pl__isnull=False)),
                name="trade_closed_has_exit",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            # The trade list: an account's trades, newest first, without a sort (issue 13).
            models.Index(fields=["account", "-created_at", "-id"], name="trade_account_newest"),
            # Unpaged, the list is live trades first, then newest first, within a bound: read
            # in this order from the index, not sorted from every trade of the account.
            models.Index(
                F("account"),
                LIVE_FIRST,
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(hidden_at__isnull=True),
                name="trade_account_live_first",
            ),
            # The list's count (with or without a status) from the index alone, an index-only
            # scan of the trades the trader has not hidden.
            models.Index(
                fields=["account", "status"],
                condition=Q(hidden_at__isnull=True),
                name="trade_account_shown",
            ),
            models.Index(fields=["status", "asset"]),
            # A retried reducing order finds the trades it closed (several share the keys).
            models.Index(
                fields=["account", "closing_client_order_id"],
                condition=Q(closing_client_order_id__isnull=False),
                name="trade_closing_client_order_idx",
            ),
            models.Index(
                fields=["account", "closing_idempotency_key"],
                condition=Q(closing_idempotency_key__isnull=False),
                name="trade_closing_idem_key_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.direction} {self.quantity} {self.asset_id}"


class LedgerKind(models.TextChoices):
    DEPOSIT = "DEPOSIT", "Deposit (starting balance)"
    REALIZED_PNL = "REALIZED_PNL", "Realised P&L"
    COMMISSION = "COMMISSION", "Commission"
    FEE = "FEE", "Fee"
    PAYOUT = "PAYOUT", "Payout withdrawal"
    PAYOUT_REVERSAL = "PAYOUT_REVERSAL", "Payout reversal"
    ADJUSTMENT = "ADJUSTMENT", "Adjustment"


class LedgerEntry(AppendOnlyModel):
    """One movement of an account's balance. B is the sum of these, nothing else."""

    # No index of its own: (account, kind) in Meta leads with it (one less per insert).
    account = models.ForeignKey(
        settings.PAPER_TRADING_ACCOUNT_MODEL,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(**MONEY)
    balance_after = models.DecimalField(**MONEY)
    trade = models.ForeignKey(
        Trade, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    reference = models.CharField(max_length=64, blank=True, help_text="e.g. payout:12")
    memo = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["account", "kind"])]

    def __str__(self) -> str:
        return f"{self.account} {self.kind} {self.amount}"


class TradeCount(models.Model):
    """How many of an account's trades its lists show (those not hidden), kept by the
    database: triggers on the trades table change it in the same transaction as every
    insert, delete and hide of a trade, whatever wrote it (the ORM, bulk inserts, COPY, raw
    SQL), so it cannot drift from the rows (migration 0009). The web app's unpaged trade
    list answers its `count` from it instead of counting up to every trade of the account
    (issue 13: 0.9 ms of PostgreSQL at 10,000 trades, the list's largest cost).
    `manage.py trade_counts_rebuild` recounts, for a database restored with triggers off."""

    account = models.OneToOneField(
        settings.PAPER_TRADING_ACCOUNT_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    listed = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.listed}"
