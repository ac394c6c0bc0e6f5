"""The API's envelopes (API.md "Envelopes"): wrapped, paginated and bare."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework import status as http_status
from rest_framework.response import Response


def wrapped(data, msg: str = "OK", *, status: int = http_status.HTTP_200_OK, **extra) -> Response:
    """`{"msg": <sentence>, "data": <object or list>}` plus any extra top-level keys."""
    return Response({"msg": msg, "data": data, **extra}, status=status)


def wrapped_schema(name: str, data) -> serializers.Serializer:
    """OpenAPI shape of the wrapped envelope around `data` (a serializer instance)."""
    return inline_serializer(name, {"msg": serializers.CharField(), "data": data})
