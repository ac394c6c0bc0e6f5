from django.conf import settings
from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenRefreshView

from account.api import serializers as s
from account.api.throttles import (
    AUTH_THROTTLES,
    AuthIpThrottle,
    EmailSendThrottle,
    known_device_remember,
)
from account.services import email_verification, google, passwords
from account.services import users as user_services
from alpacabackend.api.errors import ApplicationError


def _base_url(request) -> str:
    """This API's address as the client reached it: links in emails point back here."""
    return request.build_absolute_uri("/").rstrip("/")


def _signed_in(user, msg: str) -> Response:
    """The login answer (SPA-CONTRACT §1): top-level `token.access`, `token.refresh`."""
    return Response(
        {"msg": msg, "token": user_services.tokens_for(user), "data": s.UserOutput(user).data}
    )


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = AUTH_THROTTLES

    @extend_schema(request=s.RegisterInput, responses={201: s.AuthOutput})
    def post(self, request):
        data = s.RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_services.user_register(
            email=data.validated_data["email"],
            name=data.validated_data["name"],
            password=data.validated_data["password"],
            base_url=_base_url(request),
        )
        return Response(
            {
                "msg": "Registration successful. Check your inbox to verify your email.",
                "token": user_services.tokens_for(user),
                "data": s.UserOutput(user).data,
            },
            status=status.HTTP_201_CREATED,
        )


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = AUTH_THROTTLES

    @extend_schema(request=s.LoginInput, responses={200: s.AuthOutput})
    def post(self, request):
        data = s.LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_services.user_authenticate(
            request=request,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        known_device_remember(request, user.email)
        return _signed_in(user, "Login successful.")


class RefreshTokenView(TokenRefreshView):
    """Rotates the refresh token; the old one is blacklisted."""

    authentication_classes: list = []
    serializer_class = s.TokenRefreshInput


class LogoutView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.RefreshInput, responses={200: s.MessageOutput})
    def post(self, request):
        data = s.RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        user_services.refresh_token_blacklist(refresh=data.validated_data["refresh"])
        return Response({"msg": "Logged out."})


class ProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.UserOutput})
    def get(self, request):
        return Response(s.UserOutput(request.user).data)

    @extend_schema(request=s.ProfileInput, responses={200: s.UserOutput})
    def patch(self, request):
        data = s.ProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = user_services.user_profile_update(
            user=request.user, base_url=_base_url(request), **data.validated_data
        )
        return Response(s.UserOutput(user).data)


class ChangePasswordView(APIView):
    """One service behind three routes: `change_password/` (POST, API.md) and the original
    backend's `change-password/` (PUT, PATCH) and `changepassword/` (POST)."""

    permission_classes = [IsAuthenticated]
    http_method_names = ["post", "options"]

    def change(self, request):
        data = s.ChangePasswordInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = user_services.user_password_change(
            user=request.user,
            old_password=data.validated_data["old_password"],
            new_password=data.validated_data["new_password"],
        )
        return Response(
            {
                "msg": "Password changed. Your other sessions were logged out.",
                "data": s.UserOutput(request.user).data,
                "token": tokens,
            }
        )

    @extend_schema(request=s.ChangePasswordInput, responses={200: s.ChangePasswordOutput})
    def post(self, request):
        return self.change(request)


class ChangePasswordLegacyPostView(ChangePasswordView):
    """`changepassword/`: the original backend's path."""

    @extend_schema(
        operation_id="account_changepassword_create",
        request=s.ChangePasswordInput,
        responses={200: s.ChangePasswordOutput},
    )
    def post(self, request):
        return self.change(request)


class ChangePasswordLegacyPutView(ChangePasswordView):
    """`change-password/` (PUT, PATCH): the original backend's path."""

    http_method_names = ["put", "patch", "options"]

    @extend_schema(
        operation_id="account_change_password_legacy_update",
        request=s.ChangePasswordInput,
        responses={200: s.ChangePasswordOutput},
    )
    def put(self, request):
        return self.change(request)

    @extend_schema(
        operation_id="account_change_password_legacy_partial_update",
        request=s.ChangePasswordInput,
        responses={200: s.ChangePasswordOutput},
    )
    def patch(self, request):
        return self.change(request)


class PasswordResetRequestView(APIView):
    """Always the same answer, whether the email exists or not."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpThrottle, EmailSendThrottle]

    @extend_schema(request=s.PasswordResetRequestInput, responses={200: s.MessageOutput})
    def post(self, request):
        data = s.PasswordResetRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        passwords.password_reset_request(email=data.validated_data["email"])
        return Response({"msg": passwords.RESET_EMAIL_SENT})


class PasswordResetConfirmView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpThrottle]

    @extend_schema(
        request=s.PasswordResetConfirmInput,
        responses={
            200: s.MessageOutput,
            400: OpenApiResponse(
                description="RESET_LINK_INVALID (wrong, used or expired link) or a password "
                "the validators refuse."
            ),
        },
    )
    def post(self, request, uid: str, token: str):
        data = s.PasswordResetConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        passwords.password_reset_confirm(
            uid=uid, token=token, password=data.validated_data["password"]
        )
        return Response({"msg": "Your password was reset. Sign in with the new one."})


class VerifyEmailView(APIView):
    """The link in the verification email. A browser opening it is sent on to the web app's
    profile (`?email_verified=true`, or `false&code=...`); an API client gets JSON."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpThrottle]

    @extend_schema(
        responses={
            200: s.MessageOutput,
            302: OpenApiResponse(description="A browser (Accept: text/html) goes to the web app."),
            400: OpenApiResponse(
                description="VERIFICATION_LINK_INVALID or VERIFICATION_LINK_EXPIRED."
            ),
        }
    )
    def get(self, request, token: str):
        browser = "text/html" in request.META.get("HTTP_ACCEPT", "")
        try:
            email_verification.email_verify(token=token)
        except ApplicationError as exc:
            if browser:
                return HttpResponseRedirect(
                    f"{settings.FRONTEND_URL}/profile?email_verified=false&code={exc.code}"
                )
            raise
        if browser:
            return HttpResponseRedirect(f"{settings.FRONTEND_URL}/profile?email_verified=true")
        return Response({"msg": "Your email is verified."})


class ResendVerificationEmailView(APIView):
    """POST (API.md) or GET (the web app's call): a new verification link, throttled."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [EmailSendThrottle]

    @extend_schema(request=None, responses={200: s.MessageOutput})
    def post(self, request):
        sent = email_verification.email_verification_resend(
            user=request.user, base_url=_base_url(request)
        )
        if not sent:
            return Response({"msg": "Your email is already verified."})
        return Response({"msg": f"We sent a new verification link to {request.user.email}."})

    @extend_schema(request=None, responses={200: s.MessageOutput})
    def get(self, request):
        return self.post(request)


class GoogleSignInView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIpThrottle]

    @extend_schema(
        request=s.GoogleSignInInput,
        responses={
            200: s.AuthOutput,
            400: OpenApiResponse(description="GOOGLE_EMAIL_NOT_VERIFIED"),
            401: OpenApiResponse(
                description="GOOGLE_TOKEN_INVALID (signature, audience, issuer or expiry)"
            ),
            503: OpenApiResponse(
                description="SOCIAL_LOGIN_UNAVAILABLE (GOOGLE_OAUTH_CLIENT_ID not set) or "
                "GOOGLE_UNAVAILABLE (Google's certificates could not be fetched)"
            ),
        },
    )
    def post(self, request):
        data = s.GoogleSignInInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = google.google_sign_in(token=data.validated_data["token"])
        return _signed_in(user, "Login successful.")
