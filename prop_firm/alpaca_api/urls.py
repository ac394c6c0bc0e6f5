"""Mounted under /api/prop-firm/: the API keys of a prop account."""

from django.urls import path

from prop_firm.alpaca_api.api import keys

app_name = "api_keys"

urlpatterns = [
    path(
        "accounts/<int:account_id>/api_keys/",
        keys.ApiKeyListView.as_view(),
        name="api-key-list",
    ),
    path(
        "accounts/<int:account_id>/api_keys/<str:key_id>/",
        keys.ApiKeyDetailView.as_view(),
        name="api-key-detail",
    ),
]
