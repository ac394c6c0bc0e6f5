"""Pagination that accepts both `page`/`page_size` and `limit`/`offset` (API.md "Envelopes").

`StandardPagination` answers the *paginated* envelope `{count, next, previous, results}`;
`WrappedListPagination` answers the *wrapped list* `{msg, data, count, next, previous}`.
"""

from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination
from rest_framework.utils.urls import replace_query_param


class _PageNumber(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class _LimitOffset(LimitOffsetPagination):
    max_limit = 500


class StandardPagination:
    """Delegates to limit/offset when the client sends either, page numbers otherwise."""

    page_size = 50
    max_limit = 500
    display_page_controls = False

    def __init__(self):
        self._impl = None

    def _choose(self, request):
        if "limit" in request.query_params or "offset" in request.query_params:
            impl = _LimitOffset()
            impl.default_limit = self.page_size
            impl.max_limit = self.max_limit
        else:
            impl = _PageNumber()
            impl.page_size = self.page_size
            impl.max_page_size = self.max_limit
        return impl

    def paginate_queryset(self, queryset, request, view=None):
        self._impl = self._choose(request)
        return self._impl.paginate_queryset(queryset, request, view)

    def page_envelope(self) -> dict:
        impl = self._impl
        count = impl.count if isinstance(impl, LimitOffsetPagination) else impl.page.paginator.count
        return {"count": count, "next": impl.get_next_link(), "previous": impl.get_previous_link()}

    def get_paginated_response(self, data):
        from rest_framework.response import Response

        return Response({**self.page_envelope(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name, description):
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "integer"},
            }

        return [
            param("page", "Page number (with page_size)."),
            param("page_size", "Results per page."),
            param("limit", "Number of results (with offset)."),
            param("offset", "Index of the first result."),
        ]

    def to_html(self):  # pragma: no cover - no browsable API
        return ""


class WrappedListPagination(StandardPagination):
    """The wrapped list: `{"msg", "data": [...], "count", "next", "previous"}`.

    API.md pages wrapped lists only when the client sends `limit`/`offset` (or `page`): the
    web app reads `data` alone, so an unpaged request gets the whole list (up to
    `unpaged_max` rows, with `next` set beyond that). A view whose unpaged list must stay
    smaller sets its own `unpaged_max` (a subclass); a view that picks its unpaged rows
    itself, in another order than its pages, describes them with `unpaged_page`."""

    msg = "OK"
    unpaged_max = 1000

    def __init__(self):
        super().__init__()
        self._unpaged_envelope = None

    @staticmethod
    def is_paged(request) -> bool:
        params = request.query_params
        return any(name in params for name in ("limit", "offset", "page", "page_size"))

    def _choose(self, request):
        if self.is_paged(request):
            return super()._choose(request)
        impl = _LimitOffset()
        impl.default_limit = impl.max_limit = self.unpaged_max
        return impl

    def unpaged_page(self, request, *, count: int, rest_offset: int | None) -> None:
        """The envelope of unpaged rows the view chose: `count` matching in all, and `next`
        the paged list from `rest_offset` on (None: the rows are all there is)."""
        link = None
        if rest_offset is not None:
            link = replace_query_param(request.build_absolute_uri(), "limit", self.page_size)
            link = replace_query_param(link, "offset", rest_offset)
        self._unpaged_envelope = {"count": count, "next": link, "previous": None}

    def page_envelope(self) -> dict:
        if self._unpaged_envelope is not None:
            return self._unpaged_envelope
        return super().page_envelope()

    def get_paginated_response(self, data):
        from rest_framework.response import Response

        return Response({"msg": self.msg, "data": data, **self.page_envelope()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["msg", "data", "count"],
            "properties": {
                "msg": {"type": "string"},
                "data": schema,
                "count": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }


def wrapped_list_schema(name: str, item_serializer):
    """OpenAPI shape of a wrapped list, for views that paginate by hand."""
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    return inline_serializer(
        name,
        {
            "msg": serializers.CharField(),
            "data": item_serializer(many=True),
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
        },
    )
