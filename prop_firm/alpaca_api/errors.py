"""Errors in Alpaca's form for the Alpaca API only: `{"code": <8 digits>, "message": ...}`,
so alpaca-py raises its own APIError with a useful `.message`.

The project's handler runs first (it rolls back, logs, maps Django's and DRF's errors and
sets Retry-After); this one reshapes its answer. The firm's rule refusals are 403 (as
Alpaca's "insufficient buying power"), invalid orders and state conflicts 422, and the
message ends with our machine-readable code, e.g. "... (POSITION_SIZE)".
"""

from django.http import JsonResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from alpacabackend.api.errors import exception_handler
from prop_firm.services.trading_rules import TradeRejected

_GENERIC = {
    "NOT_FOUND",
    "NOT_AUTHENTICATED",
    "AUTHENTICATION_FAILED",
    "PERMISSION_DENIED",
    "THROTTLED",
    "METHOD_NOT_ALLOWED",
    "SERVER_ERROR",
}


class AlpacaErrorOutput(serializers.Serializer):
    """Alpaca's error shape, which alpaca-py turns into its APIError."""

    code = serializers.IntegerField(help_text="The HTTP status followed by five digits.")
    message = serializers.CharField(help_text="A sentence; the firm's rule code in brackets.")


def alpaca_code(status: int) -> int:
    """Alpaca's 8-digit codes are the HTTP status followed by a five-digit reason."""
    return status * 100_000 + 10_000


def alpaca_body(status: int, message: str) -> dict:
    return {"code": alpaca_code(status), "message": message}


def _status(exc, status: int) -> int:
    if isinstance(exc, TradeRejected):
        return 403  # the firm refuses: Alpaca's answer to a trade the account may not make
    if isinstance(exc, exceptions.ParseError):
        return 400
    if status in (400, 409):
        return 422
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return 401
    return status


def alpaca_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = response.data if isinstance(response.data, dict) else {}
    code = str(body.get("code", ""))
    message = str(body.get("msg") or body.get("detail") or "error")
    status = _status(exc, response.status_code)
    if code == "BUYING_POWER":
        message = f"insufficient buying power: {message}"
    if code and code not in _GENERIC:
        message = f"{message} ({code})"
    answer = Response(alpaca_body(status, message), status=status)
    for header in ("Retry-After", "WWW-Authenticate"):
        if header in response:
            answer[header] = response[header]
    return answer


def alpaca_not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown paths under /alpaca/ answer in Alpaca's form (no trailing-slash redirect)."""
    return JsonResponse(alpaca_body(404, "endpoint not found"), status=404)
