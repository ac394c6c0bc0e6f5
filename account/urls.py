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
    # The original backend's paths of the same operation.
    path(
        "change-password/",
        views.ChangePasswordLegacyPutView.as_view(),
        name="change-password-put",
    ),
    path(
        "changepassword/",
        views.ChangePasswordLegacyPostView.as_view(),
        name="changepassword",
    ),
    path(
        "send-reset-password-email/",
        views.PasswordResetRequestView.as_view(),
        name="send-reset-password-email",
    ),
    path(
        "reset-password/<str:uid>/<str:token>/",
        views.PasswordResetConfirmView.as_view(),
        name="reset-password",
    ),
    path("verify-email/<str:token>/", views.VerifyEmailView.as_view(), name="verify-email"),
    path(
        "invoke_verify_email/",
        views.ResendVerificationEmailView.as_view(),
        name="invoke-verify-email",
    ),
    path("social/google/", views.GoogleSignInView.as_view(), name="social-google"),
]
