"""What every admin page of the firm shares: read-only bases, money and JSON cells, counts."""

import json

from django.contrib import admin
from django.utils.html import format_html

from prop_firm.models import (
    AccountStatus,
)

LIVE = (AccountStatus.PENDING, AccountStatus.ACTIVE, AccountStatus.SUSPENDED)


def money_cell(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def json_cell(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit and money rows: shown, never added, changed or deleted in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
