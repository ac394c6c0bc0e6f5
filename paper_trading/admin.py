"""Admin: trades and the ledger are read-only here; trade state changes go through the
services (the admin actions call them), the ledger is never edited."""

from django.contrib import admin, messages

from alpacabackend.api.errors import ApplicationError
from paper_trading.models import LedgerEntry, Trade
from paper_trading.services.trades import trade_cancel, trade_close


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, service, done: str):
    count = 0
    for trade in queryset.select_related("asset"):
        try:
            service(trade=trade, user=request.user)
            count += 1
        except ApplicationError as error:
            modeladmin.message_user(request, f"#{trade.pk}: {error.message}", messages.WARNING)
    if count:
        modeladmin.message_user(request, f"{count} trade(s) {done}.", messages.SUCCESS)


@admin.action(description="Cancel the selected pending orders")
def cancel_orders(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, trade_cancel, "cancelled")


@admin.action(description="Close the selected open trades at market")
def close_trades(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, trade_close, "closed")


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "account", "asset", "direction", "order_type", "status", "quantity",
        "entry_price", "exit_price", "realized_pl", "commission", "created_at",
    )  # fmt: skip
    list_filter = ("status", "direction", "order_type", "time_in_force", "close_reason")
    search_fields = (
        "=id", "account__account_number", "account__user__email", "asset__symbol",
        "client_order_id",
    )  # fmt: skip
    list_select_related = ("account", "asset")
    raw_id_fields = ("account", "asset", "split_from")
    date_hierarchy = "created_at"
    actions = [cancel_orders, close_trades]

    def has_change_permission(self, request, obj=None):
        # The actions need the change permission on the list; the form stays read-only.
        return obj is None and request.user.has_perm("paper_trading.change_trade")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "account", "kind", "amount", "balance_after", "trade", "reference", "created_at",
    )  # fmt: skip
    list_filter = ("kind",)
    search_fields = ("account__account_number", "reference", "memo", "=trade__id")
    list_select_related = ("account", "trade")
    raw_id_fields = ("account", "trade", "created_by")
    date_hierarchy = "created_at"

    def get_actions(self, request):
        return {}  # no bulk delete either
