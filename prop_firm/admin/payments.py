"""Payments: purchases, Stripe webhook events and local checkout sessions, with their actions."""

from django.contrib import admin, messages

from alpacabackend.api.errors import ApplicationError
from prop_firm.admin.common import ReadOnlyAdmin, ReadOnlyInline, json_cell
from prop_firm.admin_site.actions import run_each
from prop_firm.payments.models import LocalCheckoutSession, Purchase, WebhookEvent
from prop_firm.payments.services.fulfilment import purchase_fulfil
from prop_firm.payments.services.webhooks import webhook_event_process


class WebhookEventInline(ReadOnlyInline):
    model = WebhookEvent
    fields = ("received_at", "type", "event_id", "outcome", "deliveries", "processed_at")
    readonly_fields = fields


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "trader",
        "plan",
        "account",
        "gateway",
        "amount",
        "currency",
        "status",
        "paid_at",
        "amount_refunded",
        "dispute_status",
        "needs_review",
    )
    list_filter = ("status", "gateway", "needs_review", "plan", "currency")
    search_fields = (
        "=id",
        "user__email",
        "=account__account_number",
        "=session_id",
        "=payment_intent_id",
        "=dispute_id",
    )
    list_select_related = ("user", "plan", "account")
    date_hierarchy = "created_at"
    raw_id_fields = ("user", "account", "plan")
    inlines = [WebhookEventInline]
    actions = ["recheck_payment"]

    @admin.display(description="Trader", ordering="user__email")
    def trader(self, purchase):
        return purchase.user.email

    def has_recheck_permission(self, request):
        return request.user.has_perm("prop_firm.change_purchase")

    @admin.action(
        description="Re-check the payment with the gateway (activates a paid account)",
        permissions=["recheck"],
    )
    def recheck_payment(self, request, queryset):
        def recheck(purchase):
            result = purchase_fulfil(purchase=purchase)
            self.message_user(
                request,
                f"{purchase}: {result.message}",
                messages.SUCCESS if result.fulfilled else messages.WARNING,
            )
            return result.purchase

        run_each(
            self,
            request,
            queryset.select_related("account", "plan", "user"),
            recheck,
            done="re-checked",
            log=lambda purchase: "Payment re-checked with the gateway",
        )


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "type",
        "event_id",
        "outcome",
        "deliveries",
        "processed_at",
        "purchase",
        "livemode",
    )
    list_filter = ("outcome", "type", "livemode")
    search_fields = ("=event_id", "type", "=purchase__id", "outcome_detail")
    list_select_related = ("purchase",)
    date_hierarchy = "received_at"
    raw_id_fields = ("purchase",)
    readonly_fields = ("payload_shown",)
    fields = (
        "event_id",
        "type",
        "livemode",
        "created_at_gateway",
        "received_at",
        "last_received_at",
        "deliveries",
        "processed_at",
        "outcome",
        "outcome_detail",
        "purchase",
        "payload_shown",
    )
    actions = ["reprocess"]

    @admin.display(description="Payload")
    def payload_shown(self, event):
        return json_cell(event.payload)

    def has_reprocess_permission(self, request):
        return request.user.has_perm("prop_firm.change_webhookevent")

    @admin.action(description="Reprocess selected unprocessed events", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        """Processing is once only (`webhook_event_process` returns a processed event
        unchanged): this retries the events a failure or a crash left unprocessed."""
        pending = queryset.filter(processed_at__isnull=True)

        def process(event):
            try:
                return webhook_event_process(event=event)
            except ApplicationError:
                raise
            except Exception as error:  # the service recorded it on the event (FAILED)
                raise ApplicationError(f"{type(error).__name__}: {error}") from error

        run_each(
            self,
            request,
            pending,
            process,
            done="processed",
            log=lambda event: "Reprocessed",
        )
        skipped = queryset.filter(processed_at__isnull=False).count()
        if skipped:
            self.message_user(
                request,
                f"{skipped} event(s) already processed: an event is applied once only.",
                messages.WARNING,
            )


@admin.register(LocalCheckoutSession)
class LocalCheckoutSessionAdmin(ReadOnlyAdmin):
    """The offline gateway's side of a checkout (development and demos)."""

    list_display = (
        "session_id",
        "purchase",
        "amount",
        "currency",
        "status",
        "payment_status",
        "customer_email",
        "created_at",
        "completed_at",
    )
    list_filter = ("status", "payment_status")
    search_fields = ("=session_id", "=payment_intent_id", "customer_email", "=purchase__id")
    list_select_related = ("purchase",)
    date_hierarchy = "created_at"
    raw_id_fields = ("purchase",)
