from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenRefreshView

from account.api import serializers as s
from account.api.throttles import AUTH_THROTTLES, known_device_remember
from account.services import users as user_services


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
        )
        return Response(
            {
                "msg": "Registration successful.",
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
        return Response(
            {
                "msg": "Login successful.",
                "token": user_services.tokens_for(user),
                "data": s.UserOutput(user).data,
            }
        )


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
        user = user_services.user_profile_update(user=request.user, **data.validated_data)
        return Response(s.UserOutput(user).data)


class ChangePasswordView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ChangePasswordInput, responses={200: s.ChangePasswordOutput})
    def post(self, request):
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
