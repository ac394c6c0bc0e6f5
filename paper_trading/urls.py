app_name = "paper_trading"

urlpatterns: list = []
