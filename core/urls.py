from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api import views

app_name = "core"

router = SimpleRouter()
router.register("watchlists", views.WatchListViewSet, basename="watchlist")

urlpatterns = [
    path("assets/", views.AssetListView.as_view(), name="asset-list"),
    path("assets/stats/", views.AssetStatsView.as_view(), name="asset-stats"),
    path("assets/<int:pk>/", views.AssetDetailView.as_view(), name="asset-detail"),
    path("assets/symbol/<path:symbol>/", views.AssetBySymbolView.as_view(), name="asset-by-symbol"),
    path("assets/<int:pk>/candles_v2/", views.AssetCandlesView.as_view(), name="asset-candles"),
    path("assets/<int:pk>/quote/", views.AssetQuoteView.as_view(), name="asset-quote"),
    path("market/clock/", views.MarketClockView.as_view(), name="market-clock"),
    path("watchlist/", views.DefaultWatchListView.as_view(), name="default-watchlist"),
    path("alpaca/", views.ProviderStatusView.as_view(), name="provider-status"),
    path("alpaca/sync_status/", views.SyncStatusView.as_view(), name="sync-status"),
    path("alpaca/sync_assets/", views.SyncAssetsView.as_view(), name="sync-assets"),
    *router.urls,
]
