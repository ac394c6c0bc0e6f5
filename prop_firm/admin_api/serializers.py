"""Shapes of the staff API: outputs per resource, inputs per action, list query filters."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from alpacabackend.api.fields import AsciiIntegerField
from core.api.serializers import AssetDetailSerializer, WatchListDetailSerializer
from core.models import Asset, WatchList
from paper_trading.models import TradeStatus
from prop_firm.api.serializers import (
    MONEY,
    PLAN_SETTINGS_FIELDS,
    AccountDetailOutput,
    AccountListOutput,
    PlanOutput,
    ViolationOutput,
)
from prop_firm.models import (
    AccountStage,
    AccountStatus,
    PropFirmPlan,
    RuleViolation,
    ViolationType,
)
from prop_firm.payouts.api.serializers import PayoutOutput, PayoutStatusField
from prop_firm.payouts.models import Payout, PayoutMethod

User = get_user_model()


class Search(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------


class UserBrief(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name"]
        read_only_fields = fields


class AdminUserOutput(serializers.ModelSerializer):
    is_admin = serializers.BooleanField(source="is_staff")
    account_count = serializers.IntegerField(required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "avatar",
            "is_admin",
            "is_verified",
            "is_active",
            "stripe_account_id",
            "account_count",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class UserQuery(Search):
    is_admin = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_verified = serializers.BooleanField(required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class UserUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    avatar = serializers.URLField(max_length=500, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    is_verified = serializers.BooleanField(required=False)
    stripe_account_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


class AdminAccountOutput(AccountListOutput):
    user = UserBrief(source="account.user")
    notes = serializers.CharField(source="account.notes")
    failure_reason = serializers.CharField(source="account.failure_reason")


class AdminAccountDetailOutput(AccountDetailOutput):
    user = UserBrief(source="account.user")
    notes = serializers.CharField(source="account.notes")


class AccountQuery(Search):
    status = serializers.ChoiceField(choices=AccountStatus.choices, required=False)
    stage = serializers.ChoiceField(choices=AccountStage.choices, required=False)
    plan_id = AsciiIntegerField(required=False, min_value=1)
    user_id = AsciiIntegerField(required=False, min_value=1)


class AccountNotesInput(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True)


class AccountNoteInput(serializers.Serializer):
    note = serializers.CharField()


class AccountStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=AccountStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


class AdminPlanOutput(PlanOutput):
    account_count = serializers.IntegerField(required=False, read_only=True)

    class Meta(PlanOutput.Meta):
        fields = [*PlanOutput.Meta.fields, "stripe_price_id", "account_count", "updated_at"]


class PlanInput(serializers.ModelSerializer):
    """Validation only: the plan is written by `plan_create` / `plan_update`."""

    class Meta:
        model = PropFirmPlan
        fields = [*PLAN_SETTINGS_FIELDS, "stripe_price_id"]


class PlanQuery(Search):
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


# --------------------------------------------------------------------------------------
# Payouts
# --------------------------------------------------------------------------------------


class AdminPayoutOutput(PayoutOutput):
    user = UserBrief(source="account.user")
    reviewer = serializers.EmailField(source="reviewer.email", allow_null=True, default=None)

    class Meta(PayoutOutput.Meta):
        model = Payout
        fields = [
            *PayoutOutput.Meta.fields,
            "user",
            "reviewer",
            "admin_notes",
            "failure_code",
            "transfer_attempt",
            "failed_at",
        ]
        read_only_fields = fields


class PayoutQuery(Search):
    status = PayoutStatusField(required=False)
    account_id = AsciiIntegerField(required=False, min_value=1)
    user_id = AsciiIntegerField(required=False, min_value=1)
    payment_method = serializers.ChoiceField(choices=PayoutMethod.choices, required=False)


class PayoutNotesInput(serializers.Serializer):
    admin_notes = serializers.CharField(allow_blank=True)


class PayoutCompleteInput(serializers.Serializer):
    reference = serializers.CharField(max_length=255)


class PayoutRejectInput(serializers.Serializer):
    reason = serializers.CharField()


# --------------------------------------------------------------------------------------
# Violations, trades
# --------------------------------------------------------------------------------------


class AdminViolationOutput(ViolationOutput):
    account = serializers.IntegerField(source="account_id")
    account_number = serializers.CharField(source="account.account_number")
    user = UserBrief(source="account.user")

    class Meta(ViolationOutput.Meta):
        model = RuleViolation
        fields = [*ViolationOutput.Meta.fields, "account", "account_number", "user"]


class ViolationQuery(Search):
    violation_type = serializers.ChoiceField(choices=ViolationType.choices, required=False)
    account_id = AsciiIntegerField(required=False, min_value=1)


class TradeQuery(Search):
    status = serializers.ChoiceField(choices=TradeStatus.choices, required=False)
    account_id = AsciiIntegerField(required=False, min_value=1)
    user_id = AsciiIntegerField(required=False, min_value=1)
    symbol = serializers.CharField(required=False, max_length=32)


class SymbolCount(serializers.Serializer):
    symbol = serializers.CharField()
    trades = serializers.IntegerField()


class TradeStatisticsOutput(serializers.Serializer):
    total_trades = serializers.IntegerField()
    open_trades = serializers.IntegerField()
    pending_orders = serializers.IntegerField()
    closed_trades = serializers.IntegerField()
    winning_trades = serializers.IntegerField()
    losing_trades = serializers.IntegerField()
    win_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    total_realized_pl = serializers.DecimalField(**MONEY)
    total_commission = serializers.DecimalField(**MONEY)
    top_symbols = SymbolCount(many=True)


# --------------------------------------------------------------------------------------
# Assets, watchlists
# --------------------------------------------------------------------------------------


class AssetQuery(Search):
    asset_class = serializers.CharField(required=False)
    exchange = serializers.CharField(required=False)
    tradable = serializers.BooleanField(required=False, allow_null=True, default=None)
    status = serializers.CharField(required=False)


class AssetUpdateInput(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = [
            "name",
            "status",
            "tradable",
            "shortable",
            "fractionable",
            "easy_to_borrow",
            "marginable",
        ]
        extra_kwargs = {name: {"required": False} for name in fields}


class AdminAssetOutput(AssetDetailSerializer):
    pass


class AdminWatchListOutput(WatchListDetailSerializer):
    user = UserBrief()

    class Meta(WatchListDetailSerializer.Meta):
        model = WatchList
        fields = [*WatchListDetailSerializer.Meta.fields, "user"]
        read_only_fields = fields


class AdminWatchListRow(serializers.ModelSerializer):
    user = UserBrief()
    asset_count = serializers.IntegerField()

    class Meta:
        model = WatchList
        fields = [
            "id",
            "name",
            "description",
            "is_active",
            "is_default",
            "asset_count",
            "user",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WatchListQuery(Search):
    user_id = AsciiIntegerField(required=False, min_value=1)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class WatchListUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


# --------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------


class RevenueFigure(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    count = serializers.IntegerField()


class RevenueOutput(serializers.Serializer):
    today = RevenueFigure()
    last_30_days = RevenueFigure()


class AccountsFigures(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    active_by_stage = serializers.DictField(child=serializers.IntegerField())


class PassRate(serializers.Serializer):
    plan_id = serializers.IntegerField()
    plan_name = serializers.CharField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pass_rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class BreachFigures(serializers.Serializer):
    total = serializers.IntegerField()
    by_rule = serializers.DictField(child=serializers.IntegerField())


class PayoutFigures(serializers.Serializer):
    pending_count = serializers.IntegerField()
    pending_amount = serializers.DecimalField(**MONEY)
    paid_count = serializers.IntegerField()
    paid_amount = serializers.DecimalField(**MONEY)


class ExposureFigures(serializers.Serializer):
    funded_accounts = serializers.IntegerField()
    funded_profit = serializers.DecimalField(**MONEY)
    funded_profit_share = serializers.DecimalField(**MONEY)
    payouts_owed = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class DashboardOutput(serializers.Serializer):
    revenue = RevenueOutput()
    accounts = AccountsFigures()
    pass_rate_by_plan = PassRate(many=True)
    breaches_today = BreachFigures()
    payouts = PayoutFigures()
    exposure = ExposureFigures()
