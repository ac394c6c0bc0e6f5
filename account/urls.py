from django.urls import path

from account.api import views

app_name = "account"

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("refresh_token/", views.RefreshTokenView.as_view(), name="refresh-token"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("change_password/", views.ChangePasswordView.as_view(), name="change-password"),
]
