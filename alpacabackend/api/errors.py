"""Domain errors and the one exception handler that turns every error into API.md's shape.

Every 4xx/5xx answers `{"msg", "detail", "code"}` (+ `"errors"` for validation failures), where
`msg` and `detail` are the same sentence a trader understands and `code` is machine-readable.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from alpacabackend.api.middleware import current_request_id

logger = logging.getLogger("alpacabackend.errors")


class ApplicationError(Exception):
    """A failure the caller can act on: it carries a code, an HTTP status and a sentence."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "BAD_REQUEST"
    default_message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        errors: dict | None = None,
        extra: dict | None = None,
    ):
        self.message = message or self.default_message
        self.code = code or self.default_code
        if status_code is not None:
            self.status_code = status_code
        self.errors = errors
        self.extra = extra or {}
        super().__init__(self.message)


class InvalidInput(ApplicationError):
    default_code = "INVALID_INPUT"


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "NOT_FOUND"
    default_message = "Not found."


class StateConflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "STATE_CONFLICT"
    default_message = "This action is not possible in the object's current state."


class ServiceUnavailable(ApplicationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "SERVICE_UNAVAILABLE"
    default_message = "A service we depend on is unavailable. Please try again shortly."
    # Seconds a client should wait before retrying (the `Retry-After` header of every 503).
    retry_after = 5


def error_body(message: str, code: str, errors: dict | None = None, **extra) -> dict:
    body = {"msg": message, "detail": message, "code": code}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `{"field": ["message", ...]}`; nested fields dotted."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten_errors(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                flat.update(_flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def _validation_sentence(errors: dict[str, list[str]]) -> str:
    field, messages = next(iter(errors.items()))
    if field in ("non_field_errors", "__all__"):
        return messages[0]
    return f"{field}: {messages[0]}"


_DRF_CODES = {
    exceptions.NotAuthenticated: "NOT_AUTHENTICATED",
    exceptions.AuthenticationFailed: "AUTHENTICATION_FAILED",
    exceptions.PermissionDenied: "PERMISSION_DENIED",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "THROTTLED",
    exceptions.ParseError: "PARSE_ERROR",
}


DATABASE_RETRY_AFTER = 5


def _database_unavailable_body() -> dict:
    message = "The database is unavailable or busy right now. Please try again shortly."
    return error_body(message, "DATABASE_UNAVAILABLE")


def exception_handler(exc, context):
    """REST framework's EXCEPTION_HANDLER: every error leaves in API.md's shape."""
    if isinstance(exc, OperationalError | InterfaceError):
        # PostgreSQL unreachable, a lock timeout, a statement timeout: nothing was committed
        # and the request may be retried; a 503, not a server fault.
        set_rollback()
        # Logged as an error with its traceback: the same class also carries programming
        # errors (SQLite's "no such table"), which must not hide behind the 503.
        logger.error("Database unavailable while serving a request: %s", exc, exc_info=exc)
        return Response(
            _database_unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    if isinstance(exc, OverflowError | DataError):
        # An id or number beyond what the database stores (e.g. ?account_id=10**20): the
        # input is wrong, not the server.
        set_rollback()
        logger.warning("Out-of-range input rejected: %s", exc)
        message = "A number in the request is out of range."
        return Response(error_body(message, "OUT_OF_RANGE"), status=400)
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        message = "The request body is too large."
        return Response(error_body(message, "REQUEST_TOO_LARGE"), status=413)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApplicationError):
        set_rollback()
        body = error_body(exc.message, exc.code, exc.errors, **exc.extra)
        headers = {}
        if exc.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
            headers["Retry-After"] = str(getattr(exc, "retry_after", None) or 5)
        return Response(body, status=exc.status_code, headers=headers)

    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        errors = _flatten_errors(exc.detail)
        return Response(
            error_body(_validation_sentence(errors), "VALIDATION_ERROR", errors),
            status=status.HTTP_400_BAD_REQUEST,
        )

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        code = next(
            (code for cls, code in _DRF_CODES.items() if isinstance(exc, cls)),
            str(exc.default_code).upper(),
        )
        detail = exc.detail
        if isinstance(detail, dict):
            # simplejwt's InvalidToken carries {"detail", "code", "messages"}.
            code = str(detail.get("code", code)).upper()
            message = str(detail.get("detail", exc.default_detail))
        elif isinstance(detail, list):
            message = str(detail[0]) if detail else str(exc.default_detail)
        else:
            message = str(detail)
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait) or 1)
        return Response(error_body(message, code), status=exc.status_code, headers=headers)

    # Unexpected: log it with the request id, answer a generic sentence, never a traceback.
    set_rollback()
    request_id = current_request_id()
    logger.exception("Unhandled error while serving a request", exc_info=exc)
    return Response(
        error_body(
            "Something went wrong on our side. Please try again; if it persists, contact "
            f"support with reference {request_id}.",
            "SERVER_ERROR",
            request_id=request_id,
        ),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_404(request, exception=None):
    """Django's handler404, so unknown URLs answer in the API's shape too."""
    message = "Not found."
    return JsonResponse(error_body(message, "NOT_FOUND"), status=404)


def json_400(request, exception=None):
    """Django's handler400 (a disallowed Host, a malformed request) in the API's shape."""
    message = "The request could not be understood."
    return JsonResponse(error_body(message, "BAD_REQUEST"), status=400)


def json_500(request):
    """Django's handler500 (outside REST framework: the admin, the local checkout page)."""
    import sys

    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        response = JsonResponse(_database_unavailable_body(), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    request_id = getattr(request, "request_id", current_request_id())
    message = (
        "Something went wrong on our side. Please try again; if it persists, contact support "
        f"with reference {request_id}."
    )
    return JsonResponse(error_body(message, "SERVER_ERROR", request_id=request_id), status=500)
