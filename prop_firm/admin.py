"""Django admin, the staff's daily tool: every prop_firm model, with the flows behind actions.

No state is edited here. Status, money and audit fields are read-only; each action calls the
service that owns the change (lifecycle, rule engine, payouts, payments), which locks, checks
the transition and writes the audit row. Actions needing a reason, a note or a reference go
through an intermediate page (`prop_firm.admin_site.actions`). Lists pin their queries with
`list_select_related` and annotations: the page costs the same for 3 rows or 100.

The dashboard (`admin:prop_firm_dashboard`) lives in `prop_firm.admin_site`.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from alpacabackend.api.errors import ApplicationError
from paper_trading.models import LedgerEntry, Trade
from prop_firm import rules
from prop_firm.admin_api.services import account_note_add, account_notes_update
from prop_firm.admin_site import forms as action_forms
from prop_firm.admin_site.actions import APPLY, run_each, run_with_form
from prop_firm.admin_site.views import dashboard_install
from prop_firm.alpaca_api import admin as _alpaca_api_admin  # noqa: F401  (API keys)
from prop_firm.models import (
    AccountActivity,
    AccountStage,
    AccountStatus,
    EquitySnapshot,
    PlanPhase,
    PlanType,
    PropFirmAccount,
    PropFirmPlan,
    RuleViolation,
)
from prop_firm.payments.models import LocalCheckoutSession, Purchase, WebhookEvent
from prop_firm.payments.services.fulfilment import purchase_fulfil
from prop_firm.payments.services.webhooks import webhook_event_process
from prop_firm.payouts import services as payouts
from prop_firm.payouts.models import Payout, PayoutMethod, PayoutStatus
from prop_firm.services import lifecycle, rule_engine
from prop_firm.services.stages import floor_rules

dashboard_install(admin.site)

LIVE = (AccountStatus.PENDING, AccountStatus.ACTIVE, AccountStatus.SUSPENDED)


def _money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _count_of(queryset, fk: str):
    """How many rows of `queryset` point at the outer row: a correlated subquery, so the
    list neither joins nor groups (and its pagination count ignores it)."""
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _json(value) -> str:
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


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


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
                _accounts=_count_of(PropFirmAccount.objects.all(), "plan"),
                _phases=_count_of(PlanPhase.objects.all(), "plan"),
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


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


class LatestFormSet(BaseInlineFormSet):
    """The newest rows only: an account may have thousands of fills and ledger entries;
    the inline links to the full, filtered list."""

    limit = 50

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset()[: self.limit]
        return self._latest


class LatestInline(ReadOnlyInline):
    """Rows of the account on the page: their `__str__` (the change link) names the
    account, hence "account" joined with the row's other foreign keys."""

    formset = LatestFormSet
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", *self.select_related)


class ViolationInline(LatestInline):
    model = RuleViolation
    fields = ("occurred_at", "violation_type", "threshold_value", "actual_value", "description")
    readonly_fields = fields
    verbose_name_plural = "Rule violations"


class ActivityInline(LatestInline):
    model = AccountActivity
    fields = ("created_at", "kind", "message", "actor")
    readonly_fields = fields
    select_related = ("actor",)
    ordering = ("-created_at", "-id")
    verbose_name_plural = "Activity (newest 50)"


class LedgerInline(LatestInline):
    model = LedgerEntry
    fields = ("created_at", "kind", "amount", "balance_after", "trade", "reference", "memo")
    readonly_fields = fields
    select_related = ("trade",)
    ordering = ("-created_at", "-id")
    verbose_name_plural = "Ledger (newest 50)"


class TradeInline(LatestInline):
    model = Trade
    fk_name = "account"
    fields = (
        "created_at",
        "asset",
        "direction",
        "order_type",
        "status",
        "quantity",
        "entry_price",
        "exit_price",
        "realized_pl",
        "commission",
    )
    readonly_fields = fields
    select_related = ("asset",)
    ordering = ("-created_at", "-id")
    verbose_name_plural = "Trades (newest 50)"


class PayoutInline(LatestInline):
    model = Payout
    fields = ("requested_at", "status", "amount", "trader_share", "payment_method", "reviewer")
    readonly_fields = fields
    select_related = ("reviewer",)
    verbose_name_plural = "Payouts"


class AccountForm(forms.ModelForm):
    class Meta:
        model = PropFirmAccount
        fields = ("notes",)
        help_texts = {"notes": "Staff only; every change is recorded in the activity."}


MARKS = (
    "starting_balance",
    "current_balance",
    "equity",
    "unrealized_pl",
    "sod_balance",
    "sod_equity",
    "sod_day",
    "eod_hwm",
    "peak_equity",
    "daily_loss_floor",
    "max_loss_floor",
    "last_marked_at",
    "equity_snapshot_at",
    "daily_loss_warned_day",
    "max_loss_warned_day",
)
DATES = (
    "created_at",
    "payment_completed_at",
    "activated_at",
    "stage_started_at",
    "first_fill_at",
    "last_fill_at",
    "passed_at",
    "failed_at",
    "closed_at",
    "updated_at",
)


class StatusFilter(admin.SimpleListFilter):
    """Status, plus "live" (pending, active or suspended): the accounts staff act on."""

    title = "status"
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return [("live", "Live (pending, active, suspended)"), *AccountStatus.choices]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(status__in=LIVE)
        if self.value() in AccountStatus.values:
            return queryset.filter(status=self.value())
        return queryset


@admin.register(PropFirmAccount)
class PropFirmAccountAdmin(admin.ModelAdmin):
    form = AccountForm
    list_display = (
        "account_number",
        "trader",
        "plan",
        "status",
        "stage",
        "phase",
        "balance",
        "equity_shown",
        "daily_loss_floor",
        "max_loss_floor_shown",
        "trading_days",
        "open_positions",
        "created_at",
    )
    list_filter = (StatusFilter, "stage", "phase", "plan", "plan__plan_type")
    search_fields = ("=account_number", "user__email", "user__name")
    list_select_related = ("user", "plan")
    date_hierarchy = "created_at"
    readonly_fields = (
        "account_number",
        "user",
        "plan",
        "status",
        "stage",
        "phase",
        "failure_reason",
        "previous_account",
        "next_account_link",
        "live_figures",
        *MARKS,
        "trading_days",
        *DATES,
        "related_lists",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "account_number",
                    "user",
                    "plan",
                    ("status", "stage", "phase"),
                    "failure_reason",
                    ("previous_account", "next_account_link"),
                    "notes",
                    "related_lists",
                )
            },
        ),
        ("Live, at the current quotes", {"fields": ("live_figures",)}),
        ("Marks stored by the last sweep or fill", {"fields": MARKS}),
        ("Dates", {"fields": ("trading_days", *DATES)}),
    )
    inlines = [ViolationInline, PayoutInline, TradeInline, LedgerInline, ActivityInline]
    actions = [
        "suspend_accounts",
        "reinstate_accounts",
        "fail_accounts",
        "close_accounts",
        "recheck_rules",
        "add_note",
        "activate_accounts",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_open=_count_of(Trade.objects.filter(status="OPEN"), "account"))
        )

    def has_add_permission(self, request):
        return False  # accounts are opened by a purchase (or a passed stage)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The notes are the only editable field; the service audits the change.
        if "notes" in form.changed_data:
            account_notes_update(account=obj, notes=obj.notes, actor=request.user)

    # Columns -------------------------------------------------------------------------

    @admin.display(description="Trader", ordering="user__email")
    def trader(self, account):
        return account.user.email

    @admin.display(description="Balance (B)", ordering="current_balance")
    def balance(self, account):
        return _money(account.current_balance)

    @admin.display(description="Equity (E)", ordering="equity")
    def equity_shown(self, account):
        return _money(account.equity)

    @admin.display(description="Daily loss floor")
    def daily_loss_floor(self, account):
        if account.activated_at is None:
            return "—"
        floor = rules.daily_loss_floor(
            floor_rules(account),
            sod_balance=account.sod_balance,
            sod_equity=account.sod_equity,
        )
        return _money(floor)

    @admin.display(description="Max loss floor", ordering="max_loss_floor")
    def max_loss_floor_shown(self, account):
        return "—" if account.activated_at is None else _money(account.max_loss_floor)

    @admin.display(description="Open positions", ordering="_open")
    def open_positions(self, account):
        return account._open

    # Change form ---------------------------------------------------------------------

    @admin.display(description="Next stage")
    def next_account_link(self, account):
        following = PropFirmAccount.objects.filter(previous_account=account).first()
        if following is None:
            return "—"
        url = reverse("admin:prop_firm_propfirmaccount_change", args=[following.pk])
        return format_html('<a href="{}">{}</a>', url, following)

    @admin.display(description="All records")
    def related_lists(self, account):
        links = [
            ("Trades", "admin:paper_trading_trade_changelist"),
            ("Ledger", "admin:paper_trading_ledgerentry_changelist"),
            ("Activity", "admin:prop_firm_accountactivity_changelist"),
            ("Violations", "admin:prop_firm_ruleviolation_changelist"),
            ("Payouts", "admin:prop_firm_payout_changelist"),
            ("Equity snapshots", "admin:prop_firm_equitysnapshot_changelist"),
        ]
        return format_html(
            " · ".join(['<a href="{}?account__id__exact={}">{}</a>'] * len(links)),
            *[part for label, name in links for part in (reverse(name), account.pk, label)],
        )

    @admin.display(description="Figures")
    def live_figures(self, account):
        from prop_firm.selectors import account_detail

        detail = account_detail(account=account)
        rows = [
            ("Equity (E)", _money(detail["equity"])),
            ("Unrealised P&L (U)", _money(detail["unrealized_pl"])),
            ("Daily loss floor", _money(detail["daily_loss_floor"])),
            ("Room to the daily floor", _money(detail["daily_loss_room"])),
            ("Max loss floor", _money(detail["max_loss_floor"])),
            ("Room to the max floor", _money(detail["max_loss_room"])),
            ("Can trade", "yes" if detail["can_trade"] else "no"),
            ("Prices stale", "yes" if detail["prices_stale"] else "no"),
            ("Next reset", f"{detail['next_reset_at']:%Y-%m-%d %H:%M %Z}"),
        ]
        rows += [
            (
                f"Objective: {o['label']}",
                f"{o['current']} / {o['target']} {'✓' if o['met'] else '✗'}",
            )
            for o in detail["objectives"]
        ]
        return format_html(
            '<table class="pf-live">{}</table>',
            format_html(
                "".join(['<tr><th scope="row">{}</th><td>{}</td></tr>'] * len(rows)),
                *[cell for row in rows for cell in row],
            ),
        )

    # Actions -------------------------------------------------------------------------

    def _state_change(self, request, queryset, *, action, service, title, intro, done):
        return run_with_form(
            self,
            request,
            queryset.select_related("plan"),
            action=action,
            form_class=action_forms.ReasonForm,
            call=lambda account, reason: service(
                account=account, reason=reason, actor=request.user
            ),
            title=title,
            intro=intro,
            done=done,
            submit=title,
        )

    @admin.action(description="Suspend selected accounts…", permissions=["change"])
    def suspend_accounts(self, request, queryset):
        return self._state_change(
            request,
            queryset,
            action="suspend_accounts",
            service=lifecycle.account_suspend,
            title="Suspend",
            intro="Suspended accounts cannot place orders; open positions stay open.",
            done="suspended",
        )

    @admin.action(description="Reinstate selected accounts…", permissions=["change"])
    def reinstate_accounts(self, request, queryset):
        return self._state_change(
            request,
            queryset,
            action="reinstate_accounts",
            service=lifecycle.account_reinstate,
            title="Reinstate",
            intro="Suspended accounts become active again.",
            done="reinstated",
        )

    @admin.action(description="Fail selected accounts…", permissions=["change"])
    def fail_accounts(self, request, queryset):
        return self._state_change(
            request,
            queryset,
            action="fail_accounts",
            service=lifecycle.account_fail,
            title="Fail",
            intro=(
                "Failing is final: pending orders are cancelled and open positions closed at "
                "the liquidation price."
            ),
            done="failed",
        )

    @admin.action(description="Close selected accounts…", permissions=["change"])
    def close_accounts(self, request, queryset):
        return self._state_change(
            request,
            queryset,
            action="close_accounts",
            service=lifecycle.account_close,
            title="Close",
            intro=(
                "Closing is final: a funded account's orders are cancelled and its positions "
                "closed at the liquidation price."
            ),
            done="closed",
        )

    @admin.action(
        description="Re-run the rules now (re-mark at current quotes)", permissions=["change"]
    )
    def recheck_rules(self, request, queryset):
        run_each(
            self,
            request,
            queryset.filter(status=AccountStatus.ACTIVE),
            lambda account: rule_engine.account_check(account=account, actor=request.user).account,
            done="re-checked",
            log=lambda account: "Rules re-run",
        )
        skipped = queryset.exclude(status=AccountStatus.ACTIVE).count()
        if skipped:
            self.message_user(
                request, f"{skipped} account(s) not active: the rules do not run on them."
            )

    @admin.action(description="Add a note to selected accounts…", permissions=["change"])
    def add_note(self, request, queryset):
        return run_with_form(
            self,
            request,
            queryset,
            action="add_note",
            form_class=action_forms.NoteForm,
            call=lambda account, note: account_note_add(
                account=account, note=note, actor=request.user
            ),
            title="Add a note",
            intro="The note is appended to each account's staff notes and activity.",
            done="noted",
            submit="Add the note",
        )

    @admin.action(
        description="Activate selected pending accounts (payment received)", permissions=["change"]
    )
    def activate_accounts(self, request, queryset):
        run_each(
            self,
            request,
            queryset.filter(status=AccountStatus.PENDING),
            lambda account: lifecycle.account_activate(account=account, actor=request.user),
            done="activated",
            log=lambda account: "Activated",
        )


# --------------------------------------------------------------------------------------
# The audit trail
# --------------------------------------------------------------------------------------


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
        return _json(activity.before)

    @admin.display(description="After")
    def after_shown(self, activity):
        return _json(activity.after)


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
        return _json(violation.prices)


@admin.register(EquitySnapshot)
class EquitySnapshotAdmin(AccountRowAdmin):
    list_display = ("at", "account", "balance", "equity")
    date_hierarchy = "at"


# --------------------------------------------------------------------------------------
# Payments
# --------------------------------------------------------------------------------------


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
        return _json(event.payload)

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


# --------------------------------------------------------------------------------------
# Payouts
# --------------------------------------------------------------------------------------


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
        return _json(payout.payment_details)

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
