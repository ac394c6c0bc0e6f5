"""Payments API under /api/prop-firm/ (API.md "prop_firm": checkout and webhook rows)."""

from django.urls import path

from prop_firm.payments.api import views

app_name = "payments"

urlpatterns = [
    path("checkout/config/", views.CheckoutConfigView.as_view(), name="checkout-config"),
    path(
        "checkout/create_session/",
        views.CheckoutSessionCreateView.as_view(),
        name="checkout-create-session",
    ),
    path(
        "checkout/verify_payment/",
        views.VerifyPaymentView.as_view(),
        name="checkout-verify-payment",
    ),
    path("webhook/stripe/", views.StripeWebhookView.as_view(), name="webhook-stripe"),
]
