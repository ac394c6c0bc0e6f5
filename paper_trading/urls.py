from django.urls import path

from paper_trading.api import views

app_name = "paper_trading"

urlpatterns = [
    path("trades/", views.TradeListCreateView.as_view(), name="trades"),
    path("trades/<int:trade_id>/", views.TradeDetailView.as_view(), name="trade"),
    path("trades/<int:trade_id>/close/", views.TradeCloseView.as_view(), name="trade-close"),
    path("trades/<int:trade_id>/cancel/", views.TradeCancelView.as_view(), name="trade-cancel"),
    path("positions/", views.PositionListView.as_view(), name="positions"),
]
