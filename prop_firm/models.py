"""The firm's data: plans and their phases, prop accounts, their audit log and violations.

Flows (activation, rule checks, passing a stage) live in `prop_firm/services/`; the models
hold data and its invariants. Symbols in comments are RULES.md's (B0, B, E, SOD_B, ...).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from alpacabackend.db import AppendOnlyModel
from alpacabackend.money import MONEY_DIGITS, PERCENT_DIGITS

MONEY = MONEY_DIGITS
PERCENT = PERCENT_DIGITS


class PlanType(models.TextChoices):
    EVALUATION = "EVALUATION", "Evaluation challenge"
    INSTANT = "INSTANT", "Instant funding"


class DailyLossBasis(models.TextChoices):
    BALANCE = "balance", "Start-of-day balance"
    BALANCE_OR_EQUITY = "balance_or_equity", "Higher of start-of-day balance and equity"


class DrawdownMode(models.TextChoices):
    STATIC = "static", "Static"
    TRAILING_EOD = "trailing_eod", "Trailing end of day"
    TRAILING_INTRADAY = "trailing_intraday", "Trailing intraday"


class PropFirmPlan(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    plan_type = models.CharField(
        max_length=20, choices=PlanType.choices, default=PlanType.EVALUATION
    )
    starting_balance = models.DecimalField(**MONEY)
    price = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="usd")
    max_daily_loss = models.DecimalField(**MONEY)
    max_total_loss = models.DecimalField(**MONEY)
    profit_target = models.DecimalField(**MONEY, help_text="Phase 1's profit target.")
    min_trading_days = models.PositiveIntegerField(default=0, help_text="Phase 1's minimum.")
    max_position_size = models.DecimalField(
        **PERCENT, default=Decimal("100.00"), help_text="Percent of equity per symbol."
    )
    profit_split = models.DecimalField(
        **PERCENT, default=Decimal("80.00"), help_text="Trader's share of profit, percent."
    )
    is_active = models.BooleanField(default=True)
    stripe_price_id = models.CharField(max_length=100, blank=True)

    # RULES.md's switches.
    daily_loss_basis = models.CharField(
        max_length=20, choices=DailyLossBasis.choices, default=DailyLossBasis.BALANCE
    )
    drawdown_mode = models.CharField(
        max_length=20, choices=DrawdownMode.choices, default=DrawdownMode.STATIC
    )
    drawdown_lock_at_start = models.BooleanField(
        default=True, help_text="Trailing modes: the max-loss floor stops rising at B0."
    )
    max_leverage = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1.00"))
    consistency_pct = models.DecimalField(**PERCENT, null=True, blank=True)
    max_inactive_days = models.PositiveIntegerField(null=True, blank=True, default=30)
    max_stage_days = models.PositiveIntegerField(null=True, blank=True)
    payout_frequency_days = models.PositiveIntegerField(default=14)
    min_payout_amount = models.DecimalField(**MONEY, default=Decimal("50.00"))

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starting_balance", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starting_balance__gt=0) & Q(price__gte=0),
                name="plan_balance_and_price_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_daily_loss__gt=0) & Q(max_daily_loss__lt=F("starting_balance")),
                name="plan_daily_loss_within_balance",
            ),
            models.CheckConstraint(
                condition=Q(max_total_loss__gt=0) & Q(max_total_loss__lt=F("starting_balance")),
                name="plan_total_loss_within_balance",
            ),
            models.CheckConstraint(condition=Q(profit_target__gt=0), name="plan_target_positive"),
            models.CheckConstraint(
                condition=Q(max_position_size__gt=0)
                & Q(max_position_size__lte=100)
                & Q(profit_split__gte=0)
                & Q(profit_split__lte=100)
                & Q(max_leverage__gt=0),
                name="plan_percentages_in_range",
            ),
            models.CheckConstraint(
                condition=Q(consistency_pct__isnull=True)
                | (Q(consistency_pct__gt=0) & Q(consistency_pct__lte=100)),
                name="plan_consistency_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        balance = self.starting_balance
        for field in ("max_daily_loss", "max_total_loss"):
            value = getattr(self, field)
            if value is not None and balance is not None and not (0 < value < balance):
                errors[field] = "Must be positive and below the starting balance."
        if self.profit_target is not None and self.profit_target <= 0:
            errors["profit_target"] = "Must be positive."
        for field in ("max_position_size", "profit_split", "consistency_pct"):
            value = getattr(self, field)
            if value is not None and not (0 <= value <= 100):
                errors[field] = "Must be a percentage between 0 and 100."
        if errors:
            raise ValidationError(errors)


class PlanPhase(models.Model):
    """Evaluation phases after the first: phase 1 is the plan's own target and minimum days."""

    plan = models.ForeignKey(PropFirmPlan, on_delete=models.CASCADE, related_name="extra_phases")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60, blank=True)
    profit_target = models.DecimalField(**MONEY)
    min_trading_days = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_phase_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=2), name="plan_phase_after_first"),
            models.CheckConstraint(condition=Q(profit_target__gt=0), name="phase_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} phase {self.number}"


class AccountStatus(models.TextChoices):
    PENDING = "PENDING", "Pending payment"
    ACTIVE = "ACTIVE", "Active"
    PASSED = "PASSED", "Passed"
    FAILED = "FAILED", "Failed"
    SUSPENDED = "SUSPENDED", "Suspended"
    CLOSED = "CLOSED", "Closed"


class AccountStage(models.TextChoices):
    EVALUATION = "EVALUATION", "Evaluation"
    FUNDED = "FUNDED", "Funded"


class PropFirmAccount(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prop_accounts"
    )
    plan = models.ForeignKey(PropFirmPlan, on_delete=models.PROTECT, related_name="accounts")
    account_number = models.CharField(max_length=10, unique=True)
    status = models.CharField(
        max_length=10, choices=AccountStatus.choices, default=AccountStatus.PENDING
    )
    stage = models.CharField(
        max_length=10, choices=AccountStage.choices, default=AccountStage.EVALUATION
    )
    phase = models.PositiveSmallIntegerField(default=1)

    # Money (RULES.md symbols). B changes only with a ledger entry, under the account lock.
    starting_balance = models.DecimalField(**MONEY)  # B0
    current_balance = models.DecimalField(**MONEY, default=Decimal("0"))  # B
    equity = models.DecimalField(**MONEY, default=Decimal("0"))  # E at the last mark
    unrealized_pl = models.DecimalField(**MONEY, default=Decimal("0"))  # U at the last mark
    sod_balance = models.DecimalField(**MONEY, default=Decimal("0"))  # SOD_B
    sod_equity = models.DecimalField(**MONEY, default=Decimal("0"))  # SOD_E
    sod_day = models.DateField(null=True, blank=True, help_text="Day key of the SOD snapshot.")
    eod_hwm = models.DecimalField(**MONEY, default=Decimal("0"))  # EOD_HWM
    peak_equity = models.DecimalField(**MONEY, default=Decimal("0"))  # PEAK_E
    max_loss_floor = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="F_t; never decreases."
    )
    last_marked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the marks above last changed."
    )
    equity_snapshot_at = models.DateTimeField(
        null=True, blank=True, help_text="Instant of the last EquitySnapshot."
    )
    # Day keys of the last 80% warning per rule: one warning per rule per day.
    daily_loss_warned_day = models.DateField(null=True, blank=True)
    max_loss_warned_day = models.DateField(null=True, blank=True)

    trading_days = models.PositiveIntegerField(default=0)
    first_fill_at = models.DateTimeField(null=True, blank=True)
    last_fill_at = models.DateTimeField(null=True, blank=True)
    # Running totals of the fills, kept in the fill's transaction so that the order path
    # never reads the trade history (issue 13): the day key of the last fill (a fill on a
    # later day is a new trading day), the stage's realised profit, and for consistency
    # the latest day with a close, its profit and the best profit of the days before it.
    last_fill_day = models.DateField(null=True, blank=True)
    realized_profit = models.DecimalField(**MONEY, default=Decimal("0"))
    profit_day = models.DateField(null=True, blank=True)
    profit_day_pl = models.DecimalField(**MONEY, default=Decimal("0"))
    best_prior_day_pl = models.DecimalField(**MONEY, null=True, blank=True)

    stage_started_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    payment_completed_at = models.DateTimeField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    previous_account = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_account"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "id"]),
            models.Index(fields=["user", "status"]),
        ]

    def __str__(self) -> str:
        return self.account_number

    @property
    def best_day_profit(self) -> Decimal | None:
        """The best day's realised profit of the stage (None before the first close)."""
        if self.profit_day is None:
            return None
        if self.best_prior_day_pl is None:
            return self.profit_day_pl
        return max(self.best_prior_day_pl, self.profit_day_pl)

    @property
    def is_tradable(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    # The seed's ops API (`manage.py shell`): thin doors into the services.
    def update_balance(self):
        from prop_firm.services.rule_engine import account_mark

        return account_mark(account=self)

    def check_rules(self):
        from prop_firm.services.rule_engine import RuleEngine

        return RuleEngine(self).check_all_rules()


class AccountActivity(AppendOnlyModel):
    account = models.ForeignKey(
        PropFirmAccount, on_delete=models.PROTECT, related_name="activities"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the system acted.",
    )
    kind = models.CharField(max_length=40)
    message = models.TextField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "account activities"
        indexes = [models.Index(fields=["account", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.account}: {self.kind}"


class ViolationType(models.TextChoices):
    DAILY_LOSS = "DAILY_LOSS", "Daily loss"
    TOTAL_LOSS = "TOTAL_LOSS", "Maximum loss"
    INACTIVITY = "INACTIVITY", "Inactivity"
    TIME_LIMIT = "TIME_LIMIT", "Time limit"


class RuleViolation(AppendOnlyModel):
    account = models.ForeignKey(
        PropFirmAccount, on_delete=models.PROTECT, related_name="violations"
    )
    violation_type = models.CharField(max_length=20, choices=ViolationType.choices)
    description = models.TextField()
    threshold_value = models.DecimalField(**MONEY, null=True, blank=True)
    actual_value = models.DecimalField(**MONEY, null=True, blank=True)
    prices = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # A breach fails the account: the same rule is never recorded twice.
            models.UniqueConstraint(
                fields=["account", "violation_type"], name="violation_once_per_rule"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.violation_type}"


class EquitySnapshot(models.Model):
    """A point of the equity curve: B and E of an account at one instant.

    Written at activation (B0) and by the rule sweep at most once per account per
    PROP_EQUITY_SNAPSHOT_MINUTES; the API's `equity_curve` buckets them by day or hour.
    """

    account = models.ForeignKey(
        PropFirmAccount, on_delete=models.CASCADE, related_name="equity_snapshots"
    )
    at = models.DateTimeField()
    balance = models.DecimalField(**MONEY)
    equity = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["account", "at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "at"], name="equity_snapshot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.at:%Y-%m-%d %H:%M} {self.equity}"


from prop_firm.alpaca_api.models import *  # noqa: E402, F403  (API keys of the Alpaca API)
from prop_firm.payments.models import *  # noqa: E402, F403  (payments live in their own module)
from prop_firm.payouts.models import *  # noqa: E402, F403  (payouts live in their own module)
