"""Mounted at /alpaca/: alpaca-py's paths, exactly (no trailing slash: the SDK does not follow
redirects). Anything else under /alpaca/ is an Alpaca-shaped 404."""

from django.urls import path, re_path

from prop_firm.alpaca_api.api import views
from prop_firm.alpaca_api.errors import alpaca_not_found

app_name = "alpaca"

urlpatterns = [
    path("v2/account", views.AccountView.as_view(), name="account"),
    path(
        "v2/account/configurations",
        views.AccountConfigurationsView.as_view(),
        name="account-configurations",
    ),
    path(
        "v2/account/portfolio/history",
        views.PortfolioHistoryView.as_view(),
        name="portfolio-history",
    ),
    path("v2/account/activities", views.ActivitiesView.as_view(), name="activities"),
    path("v2/orders", views.OrdersView.as_view(), name="orders"),
    path(
        "v2/orders:by_client_order_id",
        views.OrderByClientIdView.as_view(),
        name="order-by-client-order-id",
    ),
    path("v2/orders/<str:order_id>", views.OrderDetailView.as_view(), name="order"),
    path("v2/positions", views.PositionsView.as_view(), name="positions"),
    path("v2/positions/<path:symbol>", views.PositionDetailView.as_view(), name="position"),
    path("v2/assets", views.AssetsView.as_view(), name="assets"),
    path("v2/assets/<path:symbol>", views.AssetDetailView.as_view(), name="asset"),
    path("v2/clock", views.ClockView.as_view(), name="clock"),
    path("v2/calendar", views.CalendarView.as_view(), name="calendar"),
    path("v2/prop/rules", views.PropRulesView.as_view(), name="prop-rules"),
    path("v2/stocks/bars", views.BarsView.as_view(), name="bars"),
    path("v2/stocks/quotes/latest", views.QuotesLatestView.as_view(), name="quotes-latest"),
    path("v2/stocks/trades/latest", views.TradesLatestView.as_view(), name="trades-latest"),
    path("v2/stocks/snapshots", views.SnapshotsView.as_view(), name="snapshots"),
    path("v2/stocks/<str:symbol>/bars", views.SymbolBarsView.as_view(), name="symbol-bars"),
    # [\s\S], not ".": a path holding a newline (%0A) is unknown too, in Alpaca's form.
    re_path(r"^[\s\S]*\Z", alpaca_not_found),
]
