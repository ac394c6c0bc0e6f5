"""Request ids: every request carries one, echoed in `X-Request-ID` and in every log line."""

import contextvars
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        # A client's id is kept only when it is harmless to log.
        request_id = incoming if _VALID_INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs 4xx/5xx responses ("Bad Request: ...") after the middleware returned,
        # so the id is taken from the request the record carries when there is one.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or current_request_id()
        return True


class ApiNotFoundMiddleware:
    """An unknown URL under /api/ answers the API's JSON 404 also with DEBUG on, where
    Django would otherwise show its HTML debug page (handler404 only applies with DEBUG
    off). A 404 that a view answered in JSON passes untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from alpacabackend.api.errors import json_404

            return json_404(request)
        return response


MAX_QUERY_VALUE = 2_000


class RequestBoundsMiddleware:
    """Refuses, before any view runs, what no endpoint accepts (400 in the error shape):
    - a NUL character in the path or the query string: PostgreSQL refuses it in every text
      it compares, which was a 500 on lookups (`?search=%00`, `/assets/symbol/A%00/`);
    - a query value longer than MAX_QUERY_VALUE characters (searches, symbols and ids are
      short). Bodies are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (413) and the JSON parser
      (depth, string length)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = None
        values = [value for _, items in request.GET.lists() for value in items]
        if (
            "\x00" in request.path
            or any("\x00" in key for key in request.GET)
            or any("\x00" in value for value in values)
        ):
            problem = "The request's address may not contain NUL characters."
        elif any(len(value) > MAX_QUERY_VALUE for value in values):
            problem = f"A query parameter is longer than {MAX_QUERY_VALUE} characters."
        if problem:
            from django.http import JsonResponse

            from alpacabackend.api.errors import error_body

            if request.path.startswith("/alpaca/"):
                # The Alpaca-compatible API answers in Alpaca's form (status, 5 digits).
                return JsonResponse({"code": 40010000, "message": problem}, status=400)
            return JsonResponse(error_body(problem, "BAD_REQUEST"), status=400)
        return self.get_response(request)
