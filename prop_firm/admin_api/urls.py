"""Mounted under /api/prop-firm/: everything under `admin/` (staff only)."""

from django.urls import path

from prop_firm.admin_api import views as v

app_name = "prop_firm_admin"

urlpatterns = [
    path("admin/dashboard/", v.DashboardView.as_view(), name="dashboard"),
    path("admin/users/", v.UserListView.as_view(), name="user-list"),
    path("admin/users/<int:user_id>/", v.UserDetailView.as_view(), name="user-detail"),
    path(
        "admin/users/<int:user_id>/toggle_admin/",
        v.UserToggleAdminView.as_view(),
        name="user-toggle-admin",
    ),
    path(
        "admin/users/<int:user_id>/toggle_verified/",
        v.UserToggleVerifiedView.as_view(),
        name="user-toggle-verified",
    ),
    path("admin/accounts/", v.AccountListView.as_view(), name="account-list"),
    path("admin/accounts/<int:account_id>/", v.AccountDetailView.as_view(), name="account-detail"),
    path(
        "admin/accounts/<int:account_id>/activate/",
        v.AccountActivateView.as_view(),
        name="account-activate",
    ),
    path(
        "admin/accounts/<int:account_id>/update_balance/",
        v.AccountUpdateBalanceView.as_view(),
        name="account-update-balance",
    ),
    path(
        "admin/accounts/<int:account_id>/add_note/",
        v.AccountAddNoteView.as_view(),
        name="account-add-note",
    ),
    path(
        "admin/accounts/<int:account_id>/change_status/",
        v.AccountChangeStatusView.as_view(),
        name="account-change-status",
    ),
    path("admin/plans/", v.PlanListView.as_view(), name="plan-list"),
    path("admin/plans/<int:plan_id>/", v.PlanDetailView.as_view(), name="plan-detail"),
    path(
        "admin/plans/<int:plan_id>/toggle_active/",
        v.PlanToggleActiveView.as_view(),
        name="plan-toggle-active",
    ),
    path("admin/payouts/", v.PayoutListView.as_view(), name="payout-list"),
    path("admin/payouts/<int:payout_id>/", v.PayoutDetailView.as_view(), name="payout-detail"),
    path(
        "admin/payouts/<int:payout_id>/approve/",
        v.PayoutApproveView.as_view(),
        name="payout-approve",
    ),
    path(
        "admin/payouts/<int:payout_id>/complete/",
        v.PayoutCompleteView.as_view(),
        name="payout-complete",
    ),
    path(
        "admin/payouts/<int:payout_id>/reject/",
        v.PayoutRejectView.as_view(),
        name="payout-reject",
    ),
    path("admin/violations/", v.ViolationListView.as_view(), name="violation-list"),
    path("admin/trades/", v.TradeListView.as_view(), name="trade-list"),
    path("admin/trades/statistics/", v.TradeStatisticsView.as_view(), name="trade-statistics"),
    path("admin/trades/<int:trade_id>/", v.TradeDetailView.as_view(), name="trade-detail"),
    path("admin/assets/", v.AssetListView.as_view(), name="asset-list"),
    path("admin/assets/<int:asset_id>/", v.AssetDetailView.as_view(), name="asset-detail"),
    path(
        "admin/assets/<int:asset_id>/toggle_tradable/",
        v.AssetToggleTradableView.as_view(),
        name="asset-toggle-tradable",
    ),
    path("admin/watchlists/", v.WatchListListView.as_view(), name="watchlist-list"),
    path(
        "admin/watchlists/<int:watchlist_id>/",
        v.WatchListDetailView.as_view(),
        name="watchlist-detail",
    ),
    path(
        "admin/watchlists/<int:watchlist_id>/toggle_active/",
        v.WatchListToggleActiveView.as_view(),
        name="watchlist-toggle-active",
    ),
]
