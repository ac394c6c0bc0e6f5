"""The audit trail: activity, violations and equity snapshots, read-only."""

from django.contrib import admin

from prop_firm.admin.common import ReadOnlyAdmin, json_cell
from prop_firm.models import (
    AccountActivity,
    EquitySnapshot,
    RuleViolation,
)


class AccountRowAdmin(ReadOnlyAdmin):
    """Rows of one account: searchable by its number, filterable by `?account__id__exact=`."""

    search_fields = ("=account__account_number", "account__user__email")
    list_select_related = ("account",)
    raw_id_fields = ("account",)


@admin.register(AccountActivity)
class AccountActivityAdmin(AccountRowAdmin):
    list_display = ("created_at", "account", "kind", "message", "actor")
    list_filter = ("kind",)
    search_fields = (*AccountRowAdmin.search_fields, "message")
    list_select_related = ("account", "actor")
    date_hierarchy = "created_at"
    readonly_fields = ("before_shown", "after_shown")
    fields = (
        "account",
        "created_at",
        "actor",
        "kind",
        "message",
        "before_shown",
        "after_shown",
    )

    @admin.display(description="Before")
    def before_shown(self, activity):
        return json_cell(activity.before)

    @admin.display(description="After")
    def after_shown(self, activity):
        return json_cell(activity.after)


@admin.register(RuleViolation)
class RuleViolationAdmin(AccountRowAdmin):
    list_display = (
        "occurred_at",
        "account",
        "violation_type",
        "threshold_value",
        "actual_value",
        "plan",
    )
    list_filter = ("violation_type", "account__plan")
    search_fields = (*AccountRowAdmin.search_fields, "description")
    list_select_related = ("account", "account__plan")
    date_hierarchy = "occurred_at"
    readonly_fields = ("prices_shown",)
    fields = (
        "account",
        "violation_type",
        "occurred_at",
        "threshold_value",
        "actual_value",
        "description",
        "prices_shown",
        "created_at",
    )

    @admin.display(description="Plan", ordering="account__plan__name")
    def plan(self, violation):
        return violation.account.plan

    @admin.display(description="Prices used")
    def prices_shown(self, violation):
        return json_cell(violation.prices)


@admin.register(EquitySnapshot)
class EquitySnapshotAdmin(AccountRowAdmin):
    list_display = ("at", "account", "balance", "equity")
    date_hierarchy = "at"
