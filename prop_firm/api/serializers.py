"""Output shapes of API.md's prop_firm section, and the query inputs they accept."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alpacabackend.api.fields import DecimalNumberField, NormalisedChoiceField
from alpacabackend.money import MONEY_DIGITS
from prop_firm.models import (
    AccountActivity,
    AccountStage,
    AccountStatus,
    PropFirmAccount,
    PropFirmPlan,
    RuleViolation,
)
from prop_firm.services.stages import plan_stages

MONEY = MONEY_DIGITS


class PhaseOutput(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    profit_target = serializers.DecimalField(**MONEY)
    min_trading_days = serializers.IntegerField()


# The plan's own settings: the seed's fields, then RULES.md's switches. Shown to traders and
# edited by staff (the staff API adds `stripe_price_id`).
PLAN_SETTINGS_FIELDS = [
    "name",
    "description",
    "plan_type",
    "starting_balance",
    "price",
    "currency",
    "max_daily_loss",
    "max_total_loss",
    "profit_target",
    "min_trading_days",
    "max_position_size",
    "profit_split",
    "is_active",
    "daily_loss_basis",
    "drawdown_mode",
    "drawdown_lock_at_start",
    "max_leverage",
    "consistency_pct",
    "max_inactive_days",
    "max_stage_days",
    "payout_frequency_days",
    "min_payout_amount",
]


class PlanOutput(serializers.ModelSerializer):
    phases = serializers.SerializerMethodField()
    leverage = DecimalNumberField(
        source="max_leverage", read_only=True, help_text="= max_leverage, as a number (2 = 2x)."
    )

    class Meta:
        model = PropFirmPlan
        fields = ["id", *PLAN_SETTINGS_FIELDS, "leverage", "phases", "created_at"]

    @extend_schema_field(PhaseOutput(many=True))
    def get_phases(self, plan):
        """The evaluation phases, phase 1 being the plan's own target and minimum days."""
        phases = [
            {
                "number": stage.phase,
                "name": stage.name,
                "profit_target": stage.profit_target,
                "min_trading_days": stage.min_trading_days,
            }
            for stage in plan_stages(plan, list(plan.extra_phases.all()))
            if stage.stage == AccountStage.EVALUATION
        ]
        return PhaseOutput(phases, many=True).data


class PlanDetailsOutput(serializers.Serializer):
    profit_target = serializers.DecimalField(**MONEY)
    max_daily_loss = serializers.DecimalField(**MONEY)
    max_total_loss = serializers.DecimalField(**MONEY)
    max_position_size = serializers.DecimalField(max_digits=5, decimal_places=2)
    min_trading_days = serializers.IntegerField()
    profit_split = serializers.DecimalField(max_digits=5, decimal_places=2)


class AccountListOutput(serializers.Serializer):
    """One account of the list. Reads a dict `{"account": <PropFirmAccount>, ...numbers}`."""

    id = serializers.IntegerField(source="account.id")
    account_number = serializers.CharField(source="account.account_number")
    status = serializers.ChoiceField(choices=AccountStatus.choices, source="account.status")
    stage = serializers.ChoiceField(choices=AccountStage.choices, source="account.stage")
    phase = serializers.IntegerField(source="account.phase")
    plan = serializers.IntegerField(source="account.plan_id")
    plan_name = serializers.CharField(source="account.plan.name")
    plan_details = PlanDetailsOutput(source="account.plan")
    starting_balance = serializers.DecimalField(**MONEY, source="account.starting_balance")
    current_balance = serializers.DecimalField(**MONEY, source="account.current_balance")
    equity = serializers.DecimalField(**MONEY, source="account.equity")
    profit_earned = serializers.DecimalField(**MONEY)
    total_pnl = serializers.DecimalField(**MONEY)
    pnl_percentage = DecimalNumberField(places=2, help_text="total_pnl / B0 × 100, a number.")
    trading_days = serializers.IntegerField(source="account.trading_days")
    total_winning_trades = serializers.IntegerField(source="account.total_winning_trades")
    total_losing_trades = serializers.IntegerField(source="account.total_losing_trades")
    is_verified = serializers.SerializerMethodField()
    stripe_session_completed = serializers.SerializerMethodField()
    can_trade = serializers.BooleanField()
    created_at = serializers.DateTimeField(source="account.created_at")
    activated_at = serializers.DateTimeField(source="account.activated_at", allow_null=True)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_verified(self, row) -> bool:
        return row["account"].payment_completed_at is not None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_stripe_session_completed(self, row) -> bool:
        return row["account"].payment_completed_at is not None


class ObjectiveOutput(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()
    target = serializers.JSONField(help_text="Money as a decimal string; days as an integer.")
    current = serializers.JSONField(help_text="Same type as target; null when not measurable.")
    met = serializers.BooleanField()


class ViolationOutput(serializers.ModelSerializer):
    type = serializers.CharField(
        source="violation_type", read_only=True, help_text="The same as violation_type."
    )

    class Meta:
        model = RuleViolation
        fields = [
            "id",
            "violation_type",
            "type",
            "description",
            "threshold_value",
            "actual_value",
            "prices",
            "occurred_at",
            "created_at",
        ]


class ActivityOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AccountActivity
        fields = ["id", "kind", "message", "actor", "before", "after", "created_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, activity) -> str | None:
        """The email of the person who acted; null when the system did."""
        return activity.actor.email if activity.actor_id else None


class LinkedAccountOutput(serializers.ModelSerializer):
    class Meta:
        model = PropFirmAccount
        fields = ["id", "account_number", "status", "stage", "phase"]


class AccountDetailOutput(AccountListOutput):
    equity = serializers.DecimalField(**MONEY)
    can_trade = serializers.BooleanField()
    high_water_mark = serializers.DecimalField(**MONEY)
    eod_high_water_mark = serializers.DecimalField(**MONEY, source="account.eod_hwm")
    daily_loss = serializers.DecimalField(**MONEY)
    total_loss = serializers.DecimalField(**MONEY)
    unrealized_pl = serializers.DecimalField(**MONEY)
    start_of_day_balance = serializers.DecimalField(**MONEY, source="account.sod_balance")
    start_of_day_equity = serializers.DecimalField(**MONEY, source="account.sod_equity")
    daily_loss_floor = serializers.DecimalField(**MONEY)
    max_loss_floor = serializers.DecimalField(**MONEY)
    daily_loss_room = serializers.DecimalField(**MONEY)
    max_loss_room = serializers.DecimalField(**MONEY)
    next_reset_at = serializers.DateTimeField()
    prices_stale = serializers.BooleanField()
    objectives = ObjectiveOutput(many=True)
    violations = ViolationOutput(many=True)
    recent_activities = ActivityOutput(many=True)
    previous_account = LinkedAccountOutput(source="account.previous_account", allow_null=True)
    next_account = serializers.SerializerMethodField()
    failure_reason = serializers.CharField(source="account.failure_reason")
    last_marked_at = serializers.DateTimeField(source="account.last_marked_at", allow_null=True)

    @extend_schema_field(LinkedAccountOutput(allow_null=True))
    def get_next_account(self, row):
        following = getattr(row["account"], "next_account", None)
        return LinkedAccountOutput(following).data if following is not None else None


class AccountFilterInput(serializers.Serializer):
    status = NormalisedChoiceField(choices=AccountStatus.choices, required=False)
    stage = NormalisedChoiceField(choices=AccountStage.choices, required=False)


class DayPnlOutput(serializers.Serializer):
    day = serializers.DateField()
    pnl = serializers.DecimalField(**MONEY)


class StatisticsOutput(serializers.Serializer):
    total_trades = serializers.IntegerField()
    open_trades = serializers.IntegerField()
    closed_trades = serializers.IntegerField()
    winning_trades = serializers.IntegerField()
    losing_trades = serializers.IntegerField()
    win_rate = DecimalNumberField(places=2, help_text="Percent of closed trades won.")
    total_pnl = serializers.DecimalField(**MONEY)
    profit_earned = serializers.DecimalField(**MONEY, help_text="B − B0, as on the account.")
    gross_profit = serializers.DecimalField(**MONEY, help_text="Sum of the winning trades.")
    total_loss = serializers.DecimalField(
        **MONEY, help_text="Sum of the losing trades, as a positive amount."
    )
    net_realized_pnl = serializers.DecimalField(**MONEY)
    trading_days = serializers.IntegerField()
    days_active = serializers.IntegerField()
    average_win = serializers.DecimalField(**MONEY)
    average_loss = serializers.DecimalField(
        **MONEY, help_text="Average losing trade, as a positive amount."
    )
    profit_factor = DecimalNumberField(
        places=2, allow_null=True, help_text="Gross profit / gross loss; null without a loss."
    )
    best_day = DayPnlOutput(allow_null=True)
    worst_day = DayPnlOutput(allow_null=True)
    max_drawdown = serializers.DecimalField(**MONEY)
    max_drawdown_pct = DecimalNumberField(places=2)


class EquityCurveInput(serializers.Serializer):
    interval = serializers.ChoiceField(choices=["day", "hour"], default="day", required=False)


class EquityPointOutput(serializers.Serializer):
    time = serializers.DateTimeField()
    balance = serializers.DecimalField(**MONEY)
    equity = serializers.DecimalField(**MONEY)
