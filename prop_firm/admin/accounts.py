"""Prop accounts: the list staff work from, the detail with live marks, the lifecycle actions."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from alpacabackend.db import count_of
from paper_trading.models import LedgerEntry, Trade
from prop_firm import rules
from prop_firm.admin.common import LIVE, ReadOnlyInline, money_cell
from prop_firm.admin_api.services import account_note_add, account_notes_update
from prop_firm.admin_site import forms as action_forms
from prop_firm.admin_site.actions import run_each, run_with_form
from prop_firm.models import (
    AccountActivity,
    AccountStatus,
    PropFirmAccount,
    RuleViolation,
)
from prop_firm.payouts.models import Payout
from prop_firm.services import lifecycle, rule_engine
from prop_firm.services.stages import floor_rules


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
            .annotate(_open=count_of(Trade.objects.filter(status="OPEN"), "account"))
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
        return money_cell(account.current_balance)

    @admin.display(description="Equity (E)", ordering="equity")
    def equity_shown(self, account):
        return money_cell(account.equity)

    @admin.display(description="Daily loss floor")
    def daily_loss_floor(self, account):
        if account.activated_at is None:
            return "—"
        floor = rules.daily_loss_floor(
            floor_rules(account),
            sod_balance=account.sod_balance,
            sod_equity=account.sod_equity,
        )
        return money_cell(floor)

    @admin.display(description="Max loss floor", ordering="max_loss_floor")
    def max_loss_floor_shown(self, account):
        return "—" if account.activated_at is None else money_cell(account.max_loss_floor)

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
            ("Equity (E)", money_cell(detail["equity"])),
            ("Unrealised P&L (U)", money_cell(detail["unrealized_pl"])),
            ("Daily loss floor", money_cell(detail["daily_loss_floor"])),
            ("Room to the daily floor", money_cell(detail["daily_loss_room"])),
            ("Max loss floor", money_cell(detail["max_loss_floor"])),
            ("Room to the max floor", money_cell(detail["max_loss_room"])),
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
