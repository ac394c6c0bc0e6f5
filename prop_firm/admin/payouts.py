"""Payouts: the staff review (approve, reject, mark paid) through the payout services."""

from django import forms
from django.contrib import admin, messages

from prop_firm.admin.common import json_cell
from prop_firm.admin_site import forms as action_forms
from prop_firm.admin_site.actions import APPLY, run_each, run_with_form
from prop_firm.payouts import services as payouts
from prop_firm.payouts.models import Payout, PayoutMethod, PayoutStatus


def _payout_label(payout) -> str:
    return f"Payout #{payout.pk}"


class PayoutForm(forms.ModelForm):
    class Meta:
        model = Payout
        fields = ("admin_notes",)


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    form = PayoutForm
    list_display = (
        "id",
        "requested_at",
        "account",
        "trader",
        "amount",
        "profit_split",
        "trader_share",
        "currency",
        "payment_method",
        "status",
        "reviewer",
        "completed_at",
    )
    list_filter = ("status", "payment_method", "currency")
    search_fields = (
        "=id",
        "=account__account_number",
        "account__user__email",
        "reference",
        "=stripe_transfer_id",
    )
    list_select_related = ("account", "account__user", "reviewer")
    date_hierarchy = "requested_at"
    readonly_fields = (
        "account",
        "trader",
        "status",
        "amount",
        "profit_split",
        "trader_share",
        "currency",
        "payment_method",
        "details_shown",
        "reference",
        "stripe_transfer_id",
        "transfer_attempt",
        "reason",
        "failure_code",
        "failure_message",
        "marks_withdrawn",
        "reviewer",
        "requested_at",
        "processed_at",
        "completed_at",
        "failed_at",
        "credited_back_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("account", "trader", "status", "admin_notes")}),
        (
            "Money",
            {"fields": ("amount", "profit_split", "trader_share", "currency", "marks_withdrawn")},
        ),
        (
            "Payment",
            {
                "fields": (
                    "payment_method",
                    "details_shown",
                    "reference",
                    "stripe_transfer_id",
                    "transfer_attempt",
                    "reason",
                    "failure_code",
                    "failure_message",
                )
            },
        ),
        (
            "Review",
            {
                "fields": (
                    "reviewer",
                    "requested_at",
                    "processed_at",
                    "completed_at",
                    "failed_at",
                    "credited_back_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    actions = ["approve_payouts", "reject_payouts", "complete_payouts"]

    def has_add_permission(self, request):
        return False  # traders request payouts

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The notes are the only editable field; the service audits the change.
        if "admin_notes" in form.changed_data:
            payouts.payout_notes_update(payout=obj, admin_notes=obj.admin_notes, actor=request.user)

    @admin.display(description="Trader", ordering="account__user__email")
    def trader(self, payout):
        return payout.account.user.email

    @admin.display(description="Payment details")
    def details_shown(self, payout):
        return json_cell(payout.payment_details)

    @admin.action(description="Approve selected payouts", permissions=["change"])
    def approve_payouts(self, request, queryset):
        run_each(
            self,
            request,
            queryset.select_related("account", "account__user"),
            lambda payout: payouts.payout_approve(payout=payout, actor=request.user),
            done="approved",
            log=lambda payout: "Approved",
            label=_payout_label,
        )

    @admin.action(
        description="Reject selected payouts (credit the profit back)…", permissions=["change"]
    )
    def reject_payouts(self, request, queryset):
        return run_with_form(
            self,
            request,
            queryset.select_related("account", "account__user"),
            action="reject_payouts",
            form_class=action_forms.PayoutReasonForm,
            call=lambda payout, reason: payouts.payout_reject(
                payout=payout, reason=reason, actor=request.user
            ),
            title="Reject",
            intro="The withdrawn profit is credited back to each account; the trader is told why.",
            done="rejected",
            submit="Reject",
            label=_payout_label,
        )

    @admin.action(description="Mark selected manual payouts paid…", permissions=["change"])
    def complete_payouts(self, request, queryset):
        payable = queryset.filter(status=PayoutStatus.PROCESSING).exclude(
            payment_method=PayoutMethod.STRIPE
        )
        skipped = queryset.count() - payable.count()
        if skipped and (APPLY in request.POST or not payable.exists()):
            self.message_user(
                request,
                f"{skipped} payout(s) skipped: only approved manual payouts (bank transfer, "
                "crypto, PayPal) are marked paid here; a Stripe payout completes with its "
                "transfer.",
                messages.WARNING,
            )
        if not payable.exists():
            return None
        return run_with_form(
            self,
            request,
            payable.select_related("account", "account__user"),
            action="complete_payouts",
            form_class=action_forms.PayoutReferenceForm,
            call=lambda payout, reference: payouts.payout_complete(
                payout=payout, reference=reference, actor=request.user
            ),
            title="Mark paid",
            intro="Record the payment made for each payout, with its reference.",
            done="marked paid",
            submit="Mark paid",
            label=_payout_label,
        )
