"""Shapes of the staff API: outputs per resource, inputs per action, list query filters."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from alpacabackend.api.fields import AsciiIntegerField, DecimalNumberField, NormalisedChoiceField
from alpacabackend.money import PRICE_DIGITS, QUANTITY_DIGITS
from core.api.serializers import AssetDetailSerializer
from core.models import Asset, WatchList
from paper_trading.api.serializers import TradeOutput
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
    accounts_count = serializers.IntegerField(source="account_count", required=False)
    total_balance = serializers.DecimalField(
        **MONEY, required=False, help_text="Sum of the current balances of the user's accounts."
    )
    created_at = serializers.DateTimeField(source="date_joined", help_text="= date_joined.")

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
            "auth_provider",
            "email_verified",
            "account_count",
            "accounts_count",
            "total_balance",
            "date_joined",
            "created_at",
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
    user_email = serializers.EmailField(source="account.user.email")
    user_name = serializers.CharField(source="account.user.name")
    days_active = serializers.IntegerField(
        help_text="Calendar days since activation, the first day counting; 0 before it."
    )
    notes = serializers.CharField(source="account.notes")
    failure_reason = serializers.CharField(source="account.failure_reason")


class RecentTradeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    symbol = serializers.CharField(source="asset.symbol")
    direction = serializers.CharField()
    status = serializers.CharField()
    quantity = serializers.DecimalField(**QUANTITY_DIGITS)
    entry_price = serializers.DecimalField(**PRICE_DIGITS, allow_null=True)
    exit_price = serializers.DecimalField(**PRICE_DIGITS, allow_null=True)
    realized_pl = serializers.DecimalField(**MONEY, allow_null=True)
    created_at = serializers.DateTimeField()


class AdminAccountDetailOutput(AccountDetailOutput):
    """The staff's account page reads this object bare (no envelope)."""

    user = UserBrief(source="account.user")
    user_email = serializers.EmailField(source="account.user.email")
    user_name = serializers.CharField(source="account.user.name")
    days_active = serializers.IntegerField()
    open_trades = serializers.IntegerField(help_text="Open positions (trades) right now.")
    recent_trades = RecentTradeOutput(many=True, help_text="The 10 newest trades and orders.")
    notes = serializers.CharField(source="account.notes")
    admin_notes = serializers.CharField(source="account.notes", help_text="= notes.")


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
    status = NormalisedChoiceField(choices=AccountStatus.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Stored in the audit record; without one, a sentence naming you and the "
        "staff API is stored.",
    )


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


class AdminPlanOutput(PlanOutput):
    account_count = serializers.IntegerField(required=False, read_only=True)
    active_accounts = serializers.IntegerField(
        required=False, read_only=True, help_text="Accounts of this plan that are ACTIVE now."
    )

    class Meta(PlanOutput.Meta):
        fields = [
            *PlanOutput.Meta.fields,
            "stripe_price_id",
            "account_count",
            "active_accounts",
            "updated_at",
        ]


class PlanInput(serializers.ModelSerializer):
    """Validation only: the plan is written by `plan_create` / `plan_update`. `leverage` is
    the web app's name of `max_leverage`."""

    leverage = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, write_only=True, help_text="= max_leverage."
    )
    # Wide enough to read a dollar amount sent by mistake, so the answer can say what it is.
    max_position_size = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        required=False,
        help_text="Percent of the balance one symbol may use (1–100 typical), not dollars.",
    )

    class Meta:
        model = PropFirmPlan
        fields = [*PLAN_SETTINGS_FIELDS, "stripe_price_id", "leverage"]

    def validate_max_position_size(self, value):
        if not (0 < value <= 100):
            raise serializers.ValidationError(
                f"max_position_size is a percent of the balance one symbol may use (1–100 "
                f"typical), not a dollar amount: {value} is not between 0 and 100."
            )
        return value

    def validate(self, attrs):
        leverage = attrs.pop("leverage", None)
        if leverage is not None:
            attrs.setdefault("max_leverage", leverage)
        return attrs


class PlanQuery(Search):
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


# --------------------------------------------------------------------------------------
# Payouts
# --------------------------------------------------------------------------------------


class AdminPayoutOutput(PayoutOutput):
    user = UserBrief(source="account.user")
    user_email = serializers.EmailField(source="account.user.email")
    reviewer = serializers.EmailField(source="reviewer.email", allow_null=True, default=None)
    profit_earned = serializers.DecimalField(
        **MONEY, source="amount", help_text="P, the profit this payout withdrew (= amount)."
    )
    notes = serializers.CharField(source="admin_notes", help_text="= admin_notes.")
    rejection_reason = serializers.CharField(source="reason", help_text="= reason.")

    class Meta(PayoutOutput.Meta):
        model = Payout
        fields = [
            *PayoutOutput.Meta.fields,
            "user",
            "user_email",
            "profit_earned",
            "notes",
            "rejection_reason",
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
    """`notes` (the web app's name) or `admin_notes`."""

    notes = serializers.CharField(allow_blank=True, required=False)
    admin_notes = serializers.CharField(allow_blank=True, required=False)

    def validate(self, attrs):
        if "notes" not in attrs and "admin_notes" not in attrs:
            raise serializers.ValidationError({"notes": ["This field is required."]})
        return {"admin_notes": attrs.get("notes", attrs.get("admin_notes"))}


class PayoutCompleteInput(serializers.Serializer):
    reference = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="The payment's reference (bank transfer id, transaction hash...), optional.",
    )


class PayoutRejectInput(serializers.Serializer):
    reason = serializers.CharField()


# --------------------------------------------------------------------------------------
# Violations, trades
# --------------------------------------------------------------------------------------


class AdminViolationOutput(ViolationOutput):
    account = serializers.IntegerField(source="account_id")
    account_number = serializers.CharField(source="account.account_number")
    user = UserBrief(source="account.user")
    user_email = serializers.EmailField(source="account.user.email")

    class Meta(ViolationOutput.Meta):
        model = RuleViolation
        fields = [*ViolationOutput.Meta.fields, "account", "account_number", "user", "user_email"]


class AdminTradeOutput(TradeOutput):
    user_email = serializers.EmailField(source="account.user.email", read_only=True)
    closed_at = serializers.DateTimeField(
        source="exit_at", read_only=True, allow_null=True, help_text="= exit_at."
    )

    class Meta(TradeOutput.Meta):
        fields = [*TradeOutput.Meta.fields, "user_email", "closed_at"]
        read_only_fields = fields


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
    win_rate = DecimalNumberField(places=2, help_text="Percent of closed trades won.")
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
    watchlists_count = serializers.IntegerField(
        required=False, help_text="Watchlists holding the asset."
    )
    trades_count = serializers.IntegerField(
        required=False, help_text="Trades and orders in the asset."
    )

    class Meta(AssetDetailSerializer.Meta):
        fields = [*AssetDetailSerializer.Meta.fields, "watchlists_count", "trades_count"]
        read_only_fields = fields


class AdminWatchListRow(serializers.ModelSerializer):
    user = UserBrief()
    user_email = serializers.EmailField(source="user.email")
    asset_count = serializers.IntegerField()
    assets_count = serializers.IntegerField(source="asset_count", help_text="= asset_count.")

    class Meta:
        model = WatchList
        fields = [
            "id",
            "name",
            "description",
            "is_active",
            "is_default",
            "is_global",
            "asset_count",
            "assets_count",
            "user",
            "user_email",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AdminWatchListAsset(serializers.Serializer):
    """One asset of a watchlist, flat: the asset's own id, symbol and name."""

    id = serializers.IntegerField(source="asset.id")
    symbol = serializers.CharField(source="asset.symbol")
    name = serializers.CharField(source="asset.name")
    asset_class = serializers.CharField(source="asset.asset_class")
    exchange = serializers.CharField(source="asset.exchange")
    entry_id = serializers.IntegerField(source="id", help_text="The watchlist entry's id.")
    is_active = serializers.BooleanField()
    added_at = serializers.DateTimeField()


class AdminWatchListOutput(AdminWatchListRow):
    """The staff's watchlist page reads this object bare, with a flat list of assets."""

    assets = AdminWatchListAsset(source="items", many=True)

    class Meta(AdminWatchListRow.Meta):
        fields = [*AdminWatchListRow.Meta.fields, "assets"]
        read_only_fields = fields


class WatchListQuery(Search):
    user_id = AsciiIntegerField(required=False, min_value=1)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


class WatchListUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)
    is_global = serializers.BooleanField(
        required=False, help_text="true: shared with every trader (GET watchlists/?global=true)."
    )


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
    pass_rate = DecimalNumberField(
        places=2, allow_null=True, help_text="Percent passed of those decided; null before any."
    )


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


class RevenueStats(serializers.Serializer):
    total_revenue = serializers.DecimalField(**MONEY, help_text="All paid purchases, gross.")
    monthly_revenue = serializers.DecimalField(
        **MONEY, help_text="Paid purchases since the first day of this month (UTC), gross."
    )
    pending_payouts = serializers.DecimalField(
        **MONEY, help_text="The traders' share of the payouts not yet paid."
    )


class RecentAccount(serializers.Serializer):
    id = serializers.IntegerField()
    account_number = serializers.CharField()
    user_email = serializers.EmailField(source="user.email")
    plan_name = serializers.CharField(source="plan.name")
    status = serializers.CharField()
    stage = serializers.CharField()
    current_balance = serializers.DecimalField(**MONEY)
    created_at = serializers.DateTimeField()


class RecentViolation(serializers.Serializer):
    id = serializers.IntegerField()
    account_number = serializers.CharField(source="account.account_number")
    user_email = serializers.EmailField(source="account.user.email")
    violation_type = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class DashboardOutput(serializers.Serializer):
    """Bare (no envelope): the web app's admin page reads its fields at the top level."""

    users_count = serializers.IntegerField()
    accounts_count = serializers.IntegerField()
    active_accounts = serializers.IntegerField(help_text="Accounts ACTIVE now.")
    plans_count = serializers.IntegerField()
    payouts_count = serializers.IntegerField()
    violations_count = serializers.IntegerField()
    revenue_stats = RevenueStats()
    recent_accounts = RecentAccount(many=True, help_text="The 10 newest accounts.")
    recent_violations = RecentViolation(many=True, help_text="The 10 newest violations.")
    revenue = RevenueOutput()
    accounts = AccountsFigures()
    pass_rate_by_plan = PassRate(many=True)
    breaches_today = BreachFigures()
    payouts = PayoutFigures()
    exposure = ExposureFigures()
