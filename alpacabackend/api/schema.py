"""The OpenAPI schema tells the truth about errors: every operation documents the error
status codes it can answer, each with the one error shape of errors.py.

drf-spectacular documents the success responses a view declares; the errors come from
shared machinery (the parser, the middleware, authentication, permissions, throttles, the
exception handler), so they are added here, once, from what the view is made of:

- 400 always (malformed JSON, bounds, validation), 503 always (database or a provider down,
  with Retry-After);
- 401 unless the view is public without credentials (health);
- 403 when a permission beyond "signed in" applies (staff-only endpoints);
- 404 when the operation names an object (path or query parameters, or a body);
- 409 and 413 on writes (state conflicts, request bodies too large);
- 429 when the view is throttled.
A code a view declares itself is never replaced. A view with its own error shape (the
Alpaca-compatible API) names it in `error_output` and adjusts the codes in
`error_codes(codes, method, has_query=...)`.

It also marks what the answers really hold: a field is nullable when its method is
annotated `-> ... | None` or its model field is `null=True` (along its whole `source`), and
a blank model field (`blank=True`) may be "" (no URI or e-mail format then, and "" among a
choice's values). Without that the schema promised a string where `actor: null` or
`avatar: ""` came back.
"""

import types
import typing

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


class ErrorOutput(serializers.Serializer):
    """API.md's error shape. Some errors add keys (`checks`, `request_id`, `status`)."""

    msg = serializers.CharField(help_text="A sentence for the user.")
    detail = serializers.CharField(help_text="The same sentence as `msg`.")
    code = serializers.CharField(help_text="Machine-readable, e.g. VALIDATION_ERROR.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors by field (dotted for nested fields).",
    )


ERROR_DESCRIPTIONS = {
    "400": "The request is invalid: malformed or out-of-bounds input, a refused order.",
    "401": "Not signed in, or the token is invalid or expired.",
    "403": "Signed in, but not allowed (staff only).",
    "404": "No such object, or it belongs to someone else.",
    "409": "The object's state does not allow this action.",
    "413": "The request body is too large.",
    "422": "The order or request is invalid (Alpaca's status for it).",
    "429": "Too many requests; retry after the `Retry-After` header's seconds.",
    "503": "A dependency (database, market data, task queue) is unavailable; retry after "
    "the `Retry-After` header's seconds.",
}

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_SIGNED_IN = (permissions.IsAuthenticated, permissions.AllowAny)


def _model_fields_along(field) -> list:
    """The model fields a serializer field reads, hop by hop along its `source`."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or source == "*":
        return []
    hops = []
    for name in source.split("."):
        try:
            model_field = model._meta.get_field(name)
        except Exception:
            break
        hops.append(model_field)
        model = getattr(model_field, "related_model", None)
        if model is None:
            break
    return hops


def _method_returns_none(field) -> bool:
    if not isinstance(field, serializers.SerializerMethodField):
        return False
    parent = getattr(field, "parent", None)
    method = getattr(parent, field.method_name or f"get_{field.field_name}", None)
    try:
        hint = typing.get_type_hints(method).get("return")
    except Exception:
        return False
    return hint is not None and (
        typing.get_origin(hint) in (typing.Union, types.UnionType)
        and type(None) in typing.get_args(hint)
    )


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        hops = _model_fields_along(field) if field.read_only else []
        if hops and getattr(hops[-1], "blank", False) and hasattr(field, "allow_blank"):
            field.allow_blank = True  # drf-spectacular then adds "" to a choice's values
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict):
            return schema
        if getattr(field, "allow_blank", False) and schema.get("format") in ("uri", "email"):
            schema = {key: value for key, value in schema.items() if key != "format"}
        nullable = _method_returns_none(field) or any(getattr(hop, "null", False) for hop in hops)
        if nullable and not schema.get("nullable") and "oneOf" not in schema:
            if "$ref" in schema:
                schema = {"allOf": [schema], "nullable": True}
            else:
                schema = {**schema, "nullable": True}
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        output = getattr(self.view, "error_output", ErrorOutput)
        for code in sorted(self._error_codes()):
            if code not in responses:
                error = OpenApiResponse(output, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        return responses

    def _error_codes(self) -> set[str]:
        view = self.view
        permission_classes = getattr(view, "permission_classes", [])
        public = getattr(view, "authentication_classes", None) == [] and all(
            issubclass(cls, permissions.AllowAny) for cls in permission_classes
        )
        codes = {"400", "503"}
        if not public or self.method in _WRITES:
            codes.add("401")  # login answers 401 to wrong credentials
        if any(not issubclass(cls, _SIGNED_IN) for cls in permission_classes):
            codes.add("403")
        if "{" in self.path or self.method in _WRITES or self._has_query_parameters():
            codes.add("404")
        if self.method in _WRITES:
            codes |= {"409", "413"}
        if getattr(view, "throttle_classes", None):
            codes.add("429")
        adjust = getattr(view, "error_codes", None)
        if adjust is None:
            return codes
        return adjust(codes, self.method, has_query=self._has_query_parameters())

    def _has_query_parameters(self) -> bool:
        try:
            return any(p.get("in") == "query" for p in self._get_parameters())
        except Exception:  # a view whose parameters cannot be resolved documents none
            return False
