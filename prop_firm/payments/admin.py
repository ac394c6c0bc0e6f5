"""Admin views of purchases and the webhook event store (read-only: money and events change
only through the payment services). Loaded by `prop_firm/admin.py` (`import
prop_firm.payments.admin`)."""

from django.contrib import admin, messages

from prop_firm.payments.models import LocalCheckoutSession, Purchase, WebhookEvent
from prop_firm.payments.services.webhooks import webhook_event_process


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "account",
        "user",
        "plan",
        "amount",
        "currency",
        "gateway",
        "status",
        "needs_review",
        "amount_refunded",
        "dispute_status",
        "created_at",
    )
    list_filter = ("status", "gateway", "needs_review")
    search_fields = ("account__account_number", "user__email", "session_id", "payment_intent_id")
    list_select_related = ("account", "user", "plan")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "event_id",
        "type",
        "outcome",
        "deliveries",
        "received_at",
        "processed_at",
        "purchase",
    )
    list_filter = ("outcome", "type")
    search_fields = ("event_id", "purchase__account__account_number")
    actions = ["reprocess"]

    @admin.action(description="Process again if not processed yet")
    def reprocess(self, request, queryset):
        for event in queryset.filter(processed_at__isnull=True):
            try:
                webhook_event_process(event=event)
            except Exception as exc:
                self.message_user(request, f"{event.event_id}: {exc}", messages.ERROR)


@admin.register(LocalCheckoutSession)
class LocalCheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ("session_id", "purchase", "amount", "currency", "status", "payment_status")
