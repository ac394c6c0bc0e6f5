from django.urls import path

from prop_firm.api import views

app_name = "prop_firm"

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/<int:plan_id>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/<int:account_id>/", views.AccountDetailView.as_view(), name="account-detail"),
    path(
        "accounts/<int:account_id>/refresh_balance/",
        views.AccountRefreshBalanceView.as_view(),
        name="account-refresh-balance",
    ),
    path(
        "accounts/<int:account_id>/activities/",
        views.AccountActivitiesView.as_view(),
        name="account-activities",
    ),
    path(
        "accounts/<int:account_id>/violations/",
        views.AccountViolationsView.as_view(),
        name="account-violations",
    ),
    path(
        "accounts/<int:account_id>/statistics/",
        views.AccountStatisticsView.as_view(),
        name="account-statistics",
    ),
    path(
        "accounts/<int:account_id>/equity_curve/",
        views.AccountEquityCurveView.as_view(),
        name="account-equity-curve",
    ),
]
