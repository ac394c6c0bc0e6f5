from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from alpacabackend.api.health import HealthView, LivenessView

admin.site.site_header = "Prop firm control room"
admin.site.site_title = "Prop firm admin"
admin.site.index_title = "Run the firm"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Requests to these paths are answered by HealthCheckMiddleware (any Host); the routes
    # keep them in the schema and reversible.
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/health/live/", LivenessView.as_view(), name="health-live"),
    path("api/health/ready/", HealthView.as_view(), name="health-ready"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/account/", include("account.urls")),
    path("api/core/", include("core.urls")),
    path("api/paper-trading/", include("paper_trading.urls")),
    path("api/prop-firm/", include("prop_firm.payments.urls")),
    path("api/prop-firm/", include("prop_firm.payouts.urls")),
    path("api/prop-firm/", include("prop_firm.admin_api.urls")),
    path("api/prop-firm/", include("prop_firm.urls")),
    path("api/prop-firm/", include("prop_firm.alpaca_api.urls")),
    # The Alpaca-compatible API: an unmodified alpaca-py bot trades a prop account.
    path("alpaca/", include("prop_firm.alpaca_api.api.urls")),
    # The local payment gateway's own checkout page (embedded default, no Stripe needed).
    path("payments/local/", include("prop_firm.payments.local_urls")),
]

handler400 = "alpacabackend.api.errors.json_400"
handler404 = "alpacabackend.api.errors.json_404"
handler500 = "alpacabackend.api.errors.json_500"
