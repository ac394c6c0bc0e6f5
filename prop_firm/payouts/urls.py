"""Mounted under /api/prop-firm/ (API.md "prop_firm" payouts rows)."""

from django.urls import path

from prop_firm.payouts.api import views

app_name = "payouts"

urlpatterns = [
    path("payouts/", views.PayoutListView.as_view(), name="payout-list"),
    path(
        "payouts/request_payout/",
        views.PayoutRequestView.as_view(),
        name="payout-request",
    ),
    path(
        "payouts/connect/onboard/",
        views.ConnectOnboardView.as_view(),
        name="payout-connect-onboard",
    ),
    path(
        "payouts/connect/status/",
        views.ConnectStatusView.as_view(),
        name="payout-connect-status",
    ),
    path("payouts/<int:payout_id>/cancel/", views.PayoutCancelView.as_view(), name="payout-cancel"),
    path(
        "accounts/<int:account_id>/payout_eligibility/",
        views.PayoutEligibilityView.as_view(),
        name="payout-eligibility",
    ),
]
