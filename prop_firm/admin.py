"""Django admin: plans with their phases; accounts, activities and violations read-only where
money or audit is concerned (status changes go through the lifecycle services)."""

from django.contrib import admin, messages

from prop_firm.models import (
    AccountActivity,
    EquitySnapshot,
    PlanPhase,
    PropFirmAccount,
    PropFirmPlan,
    RuleViolation,
)
from prop_firm.services import lifecycle, rule_engine


class PlanPhaseInline(admin.TabularInline):
    model = PlanPhase
    extra = 0


@admin.register(PropFirmPlan)
class PropFirmPlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "plan_type",
        "starting_balance",
        "price",
        "max_daily_loss",
        "max_total_loss",
        "profit_target",
        "drawdown_mode",
        "is_active",
    )
    list_filter = ("plan_type", "is_active", "drawdown_mode")
    search_fields = ("name",)
    inlines = [PlanPhaseInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ActivityInline(ReadOnlyInline):
    model = AccountActivity
    fields = ("created_at", "kind", "message", "actor")
    readonly_fields = fields
    ordering = ("-created_at",)


class ViolationInline(ReadOnlyInline):
    model = RuleViolation
    fields = ("occurred_at", "violation_type", "threshold_value", "actual_value", "description")
    readonly_fields = fields


MONEY_FIELDS = (
    "starting_balance",
    "current_balance",
    "equity",
    "unrealized_pl",
    "sod_balance",
    "sod_equity",
    "sod_day",
    "eod_hwm",
    "peak_equity",
    "max_loss_floor",
    "last_marked_at",
    "equity_snapshot_at",
    "daily_loss_warned_day",
    "max_loss_warned_day",
)


@admin.register(PropFirmAccount)
class PropFirmAccountAdmin(admin.ModelAdmin):
    list_display = (
        "account_number",
        "user",
        "plan",
        "status",
        "stage",
        "phase",
        "current_balance",
        "equity",
        "trading_days",
        "created_at",
    )
    list_filter = ("status", "stage", "plan")
    search_fields = ("account_number", "user__email")
    list_select_related = ("user", "plan")
    raw_id_fields = ("user",)
    readonly_fields = (
        "account_number",
        "user",
        "plan",
        "status",
        "stage",
        "phase",
        *MONEY_FIELDS,
        "trading_days",
        "first_fill_at",
        "last_fill_at",
        "stage_started_at",
        "activated_at",
        "payment_completed_at",
        "passed_at",
        "failed_at",
        "closed_at",
        "failure_reason",
        "previous_account",
        "created_at",
        "updated_at",
    )
    inlines = [ViolationInline, ActivityInline]
    actions = ["recheck_rules", "activate_accounts"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Re-mark and re-check the rules now")
    def recheck_rules(self, request, queryset):
        for account in queryset:
            rule_engine.account_check(account=account, actor=request.user)
        self.message_user(request, f"{queryset.count()} account(s) re-checked.")

    @admin.action(description="Activate (payment received)")
    def activate_accounts(self, request, queryset):
        done = 0
        for account in queryset.filter(status="PENDING"):
            lifecycle.account_activate(account=account, actor=request.user)
            done += 1
        self.message_user(request, f"{done} account(s) activated.", messages.SUCCESS)


class AppendOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountActivity)
class AccountActivityAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "account", "kind", "message", "actor")
    list_filter = ("kind",)
    search_fields = ("account__account_number", "message")
    list_select_related = ("account", "actor")


@admin.register(RuleViolation)
class RuleViolationAdmin(AppendOnlyAdmin):
    list_display = ("occurred_at", "account", "violation_type", "threshold_value", "actual_value")
    list_filter = ("violation_type",)
    search_fields = ("account__account_number",)
    list_select_related = ("account",)


@admin.register(EquitySnapshot)
class EquitySnapshotAdmin(AppendOnlyAdmin):
    list_display = ("at", "account", "balance", "equity")
    list_select_related = ("account",)
