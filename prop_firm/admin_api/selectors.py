"""Staff reads: every list as one set-based queryset, and the dashboard's figures."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DecimalField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from alpacabackend.db import count_of
from alpacabackend.money import MONEY_DIGITS, to_cents
from core.models import Asset, WatchList, WatchListAsset
from paper_trading.models import Trade
from prop_firm.models import (
    AccountStage,
    AccountStatus,
    PropFirmAccount,
    PropFirmPlan,
    RuleViolation,
    ViolationType,
)
from prop_firm.payouts.models import OPEN_STATUSES, Payout, PayoutStatus
from prop_firm.selectors import account_detail, accounts_with_trade_counts

_ZERO = Decimal("0")
_HUNDRED = Decimal("100")
_MONEY = DecimalField(**MONEY_DIGITS)


def _zero():
    return Value(_ZERO, output_field=_MONEY)


def user_list(
    *,
    search: str = "",
    is_admin: bool | None = None,
    is_verified: bool | None = None,
    is_active: bool | None = None,
) -> QuerySet:
    # One join to the accounts serves both figures (a count and a sum over the same rows).
    users = get_user_model().objects.annotate(
        account_count=Count("prop_accounts"),
        total_balance=Coalesce(Sum("prop_accounts__current_balance"), _zero()),
    )
    if search:
        users = users.filter(Q(email__icontains=search) | Q(name__icontains=search))
    if is_admin is not None:
        users = users.filter(is_staff=is_admin)
    if is_verified is not None:
        users = users.filter(is_verified=is_verified)
    if is_active is not None:
        users = users.filter(is_active=is_active)
    return users.order_by("-date_joined", "-id")


def account_list(
    *,
    search: str = "",
    status: str | None = None,
    stage: str | None = None,
    plan_id: int | None = None,
    user_id: int | None = None,
) -> QuerySet[PropFirmAccount]:
    accounts = accounts_with_trade_counts(PropFirmAccount.objects.select_related("user", "plan"))
    if search:
        accounts = accounts.filter(
            Q(account_number__icontains=search)
            | Q(user__email__icontains=search)
            | Q(user__name__icontains=search)
        )
    if status:
        accounts = accounts.filter(status=status)
    if stage:
        accounts = accounts.filter(stage=stage)
    if plan_id:
        accounts = accounts.filter(plan_id=plan_id)
    if user_id:
        accounts = accounts.filter(user_id=user_id)
    return accounts.order_by("-created_at", "-id")


def account_admin_detail(*, account: PropFirmAccount) -> dict:
    """The trader's account detail plus what staff see: open positions and the newest
    trades (two more queries)."""
    recent = (
        Trade.objects.filter(account=account).select_related("asset").order_by("-created_at", "-id")
    )
    return {
        **account_detail(account=account),
        "open_trades": Trade.objects.filter(account=account, status="OPEN").count(),
        "recent_trades": list(recent[:10]),
    }


def plan_list(*, search: str = "", is_active: bool | None = None) -> QuerySet[PropFirmPlan]:
    plans = PropFirmPlan.objects.prefetch_related("extra_phases").annotate(
        account_count=Count("accounts"),
        active_accounts=Count("accounts", filter=Q(accounts__status=AccountStatus.ACTIVE)),
    )
    if search:
        plans = plans.filter(name__icontains=search)
    if is_active is not None:
        plans = plans.filter(is_active=is_active)
    return plans.order_by("starting_balance", "id")


def violation_list(
    *,
    search: str = "",
    violation_type: str | None = None,
    account_id: int | None = None,
) -> QuerySet[RuleViolation]:
    violations = RuleViolation.objects.select_related("account", "account__user")
    if search:
        violations = violations.filter(
            Q(account__account_number__icontains=search)
            | Q(account__user__email__icontains=search)
            | Q(description__icontains=search)
        )
    if violation_type:
        violations = violations.filter(violation_type=violation_type)
    if account_id:
        violations = violations.filter(account_id=account_id)
    return violations.order_by("-occurred_at", "-id")


def trade_list(
    *,
    search: str = "",
    status: str | None = None,
    account_id: int | None = None,
    user_id: int | None = None,
    symbol: str | None = None,
) -> QuerySet[Trade]:
    trades = Trade.objects.select_related("account", "account__user", "asset")
    if search:
        trades = trades.filter(
            Q(account__account_number__icontains=search) | Q(asset__symbol__icontains=search)
        )
    if status:
        trades = trades.filter(status=status)
    if account_id:
        trades = trades.filter(account_id=account_id)
    if user_id:
        trades = trades.filter(account__user_id=user_id)
    if symbol:
        trades = trades.filter(asset__symbol__iexact=symbol)
    return trades.order_by("-created_at", "-id")


def trade_statistics() -> dict:
    """Firm-wide trade figures, in two queries."""
    totals = Trade.objects.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status="OPEN")),
        pending=Count("id", filter=Q(status="PENDING")),
        closed=Count("id", filter=Q(status="CLOSED")),
        winning=Count("id", filter=Q(status="CLOSED", realized_pl__gt=0)),
        losing=Count("id", filter=Q(status="CLOSED", realized_pl__lt=0)),
        realized_pl=Coalesce(Sum("realized_pl", filter=Q(status="CLOSED")), _zero()),
        commission=Coalesce(Sum("commission"), _zero()),
    )
    by_symbol = list(
        Trade.objects.filter(status__in=("OPEN", "CLOSED"))
        .values("asset__symbol")
        .annotate(trades=Count("id"))
        .order_by("-trades", "asset__symbol")[:10]
    )
    closed = totals["closed"]
    return {
        "total_trades": totals["total"],
        "open_trades": totals["open"],
        "pending_orders": totals["pending"],
        "closed_trades": closed,
        "winning_trades": totals["winning"],
        "losing_trades": totals["losing"],
        "win_rate": to_cents(Decimal(totals["winning"]) * _HUNDRED / closed) if closed else _ZERO,
        "total_realized_pl": to_cents(totals["realized_pl"]),
        "total_commission": to_cents(totals["commission"]),
        "top_symbols": [
            {"symbol": row["asset__symbol"], "trades": row["trades"]} for row in by_symbol
        ],
    }


def asset_list(
    *,
    search: str = "",
    asset_class: str | None = None,
    exchange: str | None = None,
    tradable: bool | None = None,
    status: str | None = None,
) -> QuerySet[Asset]:
    assets = Asset.objects.annotate(
        # An asset is on a watchlist at most once (core_watchlist_asset_once): rows = lists.
        watchlists_count=count_of(WatchListAsset.objects.all(), "asset"),
        trades_count=count_of(Trade.objects.all(), "asset"),
    )
    if search:
        assets = assets.filter(Q(symbol__icontains=search) | Q(name__icontains=search))
    if asset_class:
        assets = assets.filter(asset_class=asset_class)
    if exchange:
        assets = assets.filter(exchange=exchange)
    if tradable is not None:
        assets = assets.filter(tradable=tradable)
    if status:
        assets = assets.filter(status=status)
    return assets.order_by("symbol", "id")


def watchlist_list(
    *, search: str = "", user_id: int | None = None, is_active: bool | None = None
) -> QuerySet[WatchList]:
    lists = WatchList.objects.select_related("user").annotate(asset_count=Count("items"))
    if search:
        lists = lists.filter(Q(name__icontains=search) | Q(user__email__icontains=search))
    if user_id:
        lists = lists.filter(user_id=user_id)
    if is_active is not None:
        lists = lists.filter(is_active=is_active)
    return lists.order_by("-created_at", "-id")


def watchlist_detail(*, watchlist_id: int) -> WatchList | None:
    return (
        WatchList.objects.select_related("user")
        .prefetch_related("items__asset")
        .annotate(asset_count=Count("items"))
        .filter(pk=watchlist_id)
        .first()
    )


# --------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------


def _revenue(**windows: datetime | None) -> dict[str, dict]:
    """Paid purchases (gross) per named window, `name=since` (None: ever), in one query."""
    from prop_firm.payments.models import Purchase, PurchaseStatus

    aggregates = {}
    for name, since in windows.items():
        within = Q() if since is None else Q(paid_at__gte=since)
        aggregates[f"{name}_amount"] = Coalesce(Sum("amount", filter=within), _zero())
        aggregates[f"{name}_count"] = Count("id", filter=within)
    totals = Purchase.objects.filter(status=PurchaseStatus.PAID).aggregate(**aggregates)
    return {
        name: {"amount": to_cents(totals[f"{name}_amount"]), "count": totals[f"{name}_count"]}
        for name in windows
    }


def dashboard(*, now=None) -> dict:
    """The admin dashboard's figures: a fixed number of aggregate queries."""
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)

    by_status = dict(
        PropFirmAccount.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    by_stage = dict(
        PropFirmAccount.objects.filter(status=AccountStatus.ACTIVE)
        .values_list("stage")
        .annotate(n=Count("id"))
        .order_by()
    )

    plans = PropFirmPlan.objects.annotate(
        passed=Count(
            "accounts",
            filter=Q(accounts__stage=AccountStage.EVALUATION, accounts__status="PASSED"),
        ),
        failed=Count(
            "accounts",
            filter=Q(accounts__stage=AccountStage.EVALUATION, accounts__status="FAILED"),
        ),
    ).order_by("starting_balance", "id")
    pass_rates = [
        {
            "plan_id": plan.pk,
            "plan_name": plan.name,
            "passed": plan.passed,
            "failed": plan.failed,
            "pass_rate": (
                to_cents(Decimal(plan.passed) * _HUNDRED / (plan.passed + plan.failed))
                if plan.passed + plan.failed
                else None
            ),
        }
        for plan in plans
    ]

    breaches = dict(
        RuleViolation.objects.filter(occurred_at__gte=today)
        .values_list("violation_type")
        .annotate(n=Count("id"))
        .order_by()
    )

    payouts = Payout.objects.aggregate(
        pending_count=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        pending_amount=Coalesce(Sum("trader_share", filter=Q(status__in=OPEN_STATUSES)), _zero()),
        paid_count=Count("id", filter=Q(status=PayoutStatus.COMPLETED)),
        paid_amount=Coalesce(Sum("trader_share", filter=Q(status=PayoutStatus.COMPLETED)), _zero()),
    )

    # The firm's open exposure: what it would owe if every funded trader withdrew their
    # profit now (P × split of each active funded account, at the last marks), plus the
    # trader's share of the payouts not yet paid.
    funded = (
        PropFirmAccount.objects.filter(status=AccountStatus.ACTIVE, stage=AccountStage.FUNDED)
        .values_list("plan__profit_split")
        .annotate(
            accounts=Count("id"),
            profit=Coalesce(
                Sum(Greatest(F("equity") - F("starting_balance"), _zero()), output_field=_MONEY),
                _zero(),
            ),
        )
        .order_by()
    )
    funded_accounts = 0
    funded_profit = funded_share = _ZERO
    for split, accounts, profit in funded:
        funded_accounts += accounts
        funded_profit += Decimal(profit)
        funded_share += Decimal(profit) * split / _HUNDRED
    owed = to_cents(payouts["pending_amount"])

    return {
        "revenue": _revenue(today=today, last_30_days=now - timedelta(days=30)),
        "accounts": {
            "total": sum(by_status.values()),
            "by_status": {s: by_status.get(s, 0) for s in AccountStatus.values},
            "active_by_stage": {s: by_stage.get(s, 0) for s in AccountStage.values},
        },
        "pass_rate_by_plan": pass_rates,
        "breaches_today": {
            "total": sum(breaches.values()),
            "by_rule": {rule: breaches.get(rule, 0) for rule in ViolationType.values},
        },
        "payouts": {
            "pending_count": payouts["pending_count"],
            "pending_amount": owed,
            "paid_count": payouts["paid_count"],
            "paid_amount": to_cents(payouts["paid_amount"]),
        },
        "exposure": {
            "funded_accounts": funded_accounts,
            "funded_profit": to_cents(funded_profit),
            "funded_profit_share": to_cents(funded_share),
            "payouts_owed": owed,
            "total": to_cents(funded_share + owed),
        },
    }


def dashboard_overview(*, now=None) -> dict:
    """`dashboard` plus the figures the web app's admin page reads under its own names
    (SPA-CONTRACT.md §6.1): counts, revenue totals and the newest accounts and violations."""
    now = now or timezone.now()
    figures = dashboard(now=now)
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    by_status = figures["accounts"]["by_status"]
    revenue = _revenue(total=None, month=month_start)
    return {
        "users_count": get_user_model().objects.count(),
        "accounts_count": figures["accounts"]["total"],
        "active_accounts": by_status[AccountStatus.ACTIVE],
        "plans_count": PropFirmPlan.objects.count(),
        "payouts_count": Payout.objects.count(),
        "violations_count": RuleViolation.objects.count(),
        "revenue_stats": {
            "total_revenue": revenue["total"]["amount"],
            "monthly_revenue": revenue["month"]["amount"],
            "pending_payouts": figures["payouts"]["pending_amount"],
        },
        "recent_accounts": list(
            PropFirmAccount.objects.select_related("user", "plan").order_by("-created_at", "-id")[
                :10
            ]
        ),
        "recent_violations": list(
            RuleViolation.objects.select_related("account", "account__user").order_by(
                "-occurred_at", "-id"
            )[:10]
        ),
        **figures,
    }
