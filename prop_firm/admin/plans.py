"""Plans and their phases: the only objects staff edit directly (with the phase rules checked)."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from alpacabackend.db import count_of
from prop_firm.admin.common import LIVE
from prop_firm.models import (
    AccountStage,
    PlanPhase,
    PlanType,
    PropFirmAccount,
    PropFirmPlan,
)


class PlanPhaseFormSet(BaseInlineFormSet):
    """Phases are numbered 2, 3, ... without gaps (phase 1 is the plan's own target), and a
    phase an account is still in cannot be removed or renumbered: its rules would vanish
    under the account (the rule engine looks the phase up by number)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept, gone = [], []
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            initial = form.initial.get("number")
            if self.can_delete and self._should_delete_form(form):
                if initial is not None:
                    gone.append(initial)
                continue
            number = form.cleaned_data.get("number")
            kept.append(number)
            if initial is not None and initial != number:
                gone.append(initial)
        if sorted(kept) != list(range(2, len(kept) + 2)):
            raise forms.ValidationError("Phases are numbered 2, 3, ... without gaps.")
        gone = sorted(set(gone) - set(kept))
        if gone and self.instance.pk is not None:
            in_use = sorted(
                set(
                    PropFirmAccount.objects.filter(
                        plan=self.instance,
                        stage=AccountStage.EVALUATION,
                        phase__in=gone,
                        status__in=LIVE,
                    ).values_list("phase", flat=True)
                )
            )
            if in_use:
                raise forms.ValidationError(
                    f"Accounts are in phase {', '.join(map(str, in_use))} of this plan: "
                    "that phase cannot be removed or renumbered."
                )


class PlanPhaseInline(admin.TabularInline):
    model = PlanPhase
    formset = PlanPhaseFormSet
    extra = 0
    fields = ("number", "name", "profit_target", "min_trading_days")


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
        "phase_count",
        "profit_split",
        "drawdown_mode",
        "account_count",
        "is_active",
    )
    list_filter = ("plan_type", "is_active", "drawdown_mode", "daily_loss_basis")
    search_fields = ("name", "stripe_price_id")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")
    inlines = [PlanPhaseInline]
    fieldsets = (
        (None, {"fields": ("name", "description", "plan_type", "is_active")}),
        ("Price", {"fields": ("price", "currency", "stripe_price_id")}),
        (
            "Rules (RULES.md)",
            {
                "fields": (
                    "starting_balance",
                    "max_daily_loss",
                    "daily_loss_basis",
                    "max_total_loss",
                    "drawdown_mode",
                    "drawdown_lock_at_start",
                    "profit_target",
                    "min_trading_days",
                    "max_position_size",
                    "max_leverage",
                    "consistency_pct",
                    "max_inactive_days",
                    "max_stage_days",
                )
            },
        ),
        ("Payouts", {"fields": ("profit_split", "payout_frequency_days", "min_payout_amount")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _accounts=count_of(PropFirmAccount.objects.all(), "plan"),
                _phases=count_of(PlanPhase.objects.all(), "plan"),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # An evaluation's stages are its accounts' structure: fixed once accounts exist.
        # and the starting balance is what their accounts were funded with.
        if obj is not None and obj.accounts.exists():
            return (*self.readonly_fields, "plan_type", "starting_balance")
        return self.readonly_fields

    @admin.display(description="Phases", ordering="_phases")
    def phase_count(self, plan):
        return 1 + plan._phases if plan.plan_type == PlanType.EVALUATION else 0

    @admin.display(description="Accounts", ordering="_accounts")
    def account_count(self, plan):
        url = reverse("admin:prop_firm_propfirmaccount_changelist")
        return format_html('<a href="{}?plan__id__exact={}">{}</a>', url, plan.pk, plan._accounts)
