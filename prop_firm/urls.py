app_name = "prop_firm"

urlpatterns: list = []
