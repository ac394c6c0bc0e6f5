"""Authentication and throttling of the Alpaca API: Alpaca's two headers, one rate per key."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from alpacabackend.api.throttles import AtomicRateThrottle
from prop_firm.alpaca_api.keys import api_key_authenticate
from prop_firm.alpaca_api.models import ApiKey

KEY_HEADER = "APCA-API-KEY-ID"
SECRET_HEADER = "APCA-API-SECRET-KEY"


class ApiKeyAuthentication(BaseAuthentication):
    """`request.user` is the account's owner, `request.auth` the ApiKey (and its account)."""

    def authenticate(self, request):
        key_id = request.headers.get(KEY_HEADER, "").strip()
        secret = request.headers.get(SECRET_HEADER, "").strip()
        if not key_id and not secret:
            return None  # NotAuthenticated: 401 with our WWW-Authenticate
        if not key_id or not secret or len(key_id) > 64 or len(secret) > 256:
            raise exceptions.AuthenticationFailed("request is not authorized")
        api_key = api_key_authenticate(key_id=key_id, secret=secret)
        if api_key is None:
            raise exceptions.AuthenticationFailed("request is not authorized")
        return (api_key.account.user, api_key)

    def authenticate_header(self, request) -> str:
        # A value makes DRF answer 401 (not 403) to a missing or wrong key, as Alpaca does.
        return KEY_HEADER


class HasApiKey(BasePermission):
    message = "request is not authorized"

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class ApiKeyThrottle(AtomicRateThrottle):
    """ALPACA_API_RATE per key (Alpaca's own limit is 200 requests a minute), counted
    atomically like every other throttle: concurrent requests of one bot cannot slip by."""

    scope = "alpaca_key"

    def get_rate(self) -> str:
        return settings.ALPACA_API_RATE

    def get_ident_key(self, request, view) -> str | None:
        return request.auth.key_id if isinstance(request.auth, ApiKey) else None


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = ["AlpacaKeyId", "AlpacaSecretKey"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": KEY_HEADER},
            {"type": "apiKey", "in": "header", "name": SECRET_HEADER},
        ]
