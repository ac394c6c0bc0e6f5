"""The firm's dashboard inside the Django admin (staff only: `admin_site.admin_view`)."""

from django.contrib.admin import AdminSite
from django.template.response import TemplateResponse
from django.urls import path

from prop_firm.admin_site import charts
from prop_firm.admin_site.selectors import dashboard_figures
from prop_firm.models import AccountStage, AccountStatus, ViolationType

_STATUS_TONES = {
    AccountStatus.ACTIVE: "good",
    AccountStatus.PASSED: "good",
    AccountStatus.FAILED: "bad",
    AccountStatus.SUSPENDED: "warn",
    AccountStatus.CLOSED: "muted",
    AccountStatus.PENDING: "muted",
}


def _money(value) -> str:
    return f"${value:,.2f}"


def dashboard_charts(figures: dict) -> dict:
    """The SVG charts of the dashboard's figures."""
    accounts = figures["accounts"]
    matrix = accounts["by_status_and_stage"]
    exposure = figures["open_exposure"]
    return {
        "revenue": charts.column_chart(
            [
                charts.Bar(f"{row['day']:%b %d}", row["amount"], _money(row["amount"]))
                for row in figures["revenue"]["by_day"]
            ],
            title="Revenue per day, last 30 days",
        ),
        "by_status": charts.hbar_chart(
            [
                charts.Bar(
                    AccountStatus(status).label,
                    sum(matrix[status].values()),
                    tone=_STATUS_TONES[status],
                )
                for status in AccountStatus.values
            ],
            title="Accounts by status",
        ),
        "by_stage": charts.hbar_chart(
            [
                charts.Bar(
                    f"{AccountStage(stage).label} ({AccountStatus(status).label.lower()})",
                    matrix[status][stage],
                    tone=_STATUS_TONES[status],
                )
                for stage in AccountStage.values
                for status in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)
            ],
            title="Live accounts by stage",
        ),
        "pass_rate": charts.hbar_chart(
            [
                charts.Bar(
                    row["plan_name"],
                    row["pass_rate"] or 0,
                    (
                        f"{row['pass_rate']}% ({row['passed']}/{row['passed'] + row['failed']})"
                        if row["pass_rate"] is not None
                        else "no result yet"
                    ),
                    tone="good",
                )
                for row in figures["pass_rate_by_plan"]
            ],
            title="Pass rate per plan (evaluation stages decided)",
        ),
        "breaches": charts.hbar_chart(
            [
                charts.Bar(ViolationType(rule).label, count, tone="bad")
                for rule, count in figures["breaches_today"]["by_rule"].items()
            ],
            title="Breaches today by rule",
        ),
        "payouts": charts.hbar_chart(
            [
                charts.Bar(
                    f"Pending ({figures['payouts']['pending_count']})",
                    figures["payouts"]["pending_amount"],
                    _money(figures["payouts"]["pending_amount"]),
                    tone="warn",
                ),
                charts.Bar(
                    f"Paid ({figures['payouts']['paid_count']})",
                    figures["payouts"]["paid_amount"],
                    _money(figures["payouts"]["paid_amount"]),
                    tone="good",
                ),
            ],
            title="Payouts: trader's share pending and paid",
        ),
        "exposure": charts.hbar_chart(
            [
                charts.Bar(s.symbol, s.gross, _money(s.gross), tone="warn" if s.stale else "")
                for s in exposure["symbols"][:10]
            ],
            title="Open exposure by symbol (gross notional, top 10)",
        ),
    }


def _matrix_rows(matrix: dict) -> list[dict]:
    return [
        {
            "status": status,
            "label": AccountStatus(status).label,
            "counts": [matrix[status][stage] for stage in AccountStage.values],
            "total": sum(matrix[status].values()),
        }
        for status in AccountStatus.values
    ]


def dashboard_view(request, *, site: AdminSite):
    figures = dashboard_figures()
    context = {
        **site.each_context(request),
        "title": "Prop firm dashboard",
        "figures": figures,
        "charts": dashboard_charts(figures),
        "stages": [AccountStage(s).label for s in AccountStage.values],
        "matrix": _matrix_rows(figures["accounts"]["by_status_and_stage"]),
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/prop_firm/dashboard.html", context)


def dashboard_install(site: AdminSite) -> None:
    """Adds the dashboard to `site` (at `prop_firm/dashboard/`, url name
    `admin:prop_firm_dashboard`) and a link to it on the site's index page.

    The default site is Django's own instance: its `get_urls` is wrapped rather than the
    class replaced, so no settings change is needed. Idempotent."""
    if getattr(site, "_prop_firm_dashboard", False):
        return
    site_urls = site.get_urls

    def view(request):
        return dashboard_view(request, site=site)

    def get_urls():
        return [
            path(
                "prop_firm/dashboard/",
                site.admin_view(view),
                name="prop_firm_dashboard",
            ),
            *site_urls(),
        ]

    site.get_urls = get_urls
    site.index_template = "admin/prop_firm/site_index.html"
    site._prop_firm_dashboard = True
