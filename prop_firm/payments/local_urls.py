"""The local gateway's checkout page and Connect onboarding page under /payments/local/."""

from django.urls import path

from prop_firm.payments import local_views

app_name = "payments_local"

urlpatterns = [
    path("connect/<str:token>/", local_views.connect_page, name="connect"),
    path("connect/<str:token>/submit/", local_views.connect_submit, name="connect-submit"),
    path("<str:session_id>/", local_views.checkout_page, name="checkout"),
    path("<str:session_id>/pay/", local_views.checkout_pay, name="pay"),
    path("<str:session_id>/decline/", local_views.checkout_decline, name="decline"),
    path("<str:session_id>/cancel/", local_views.checkout_cancel, name="cancel"),
]
