"""Market data API (API.md "core: market data"). Every endpoint needs an authenticated user:
market data licences (Alpaca's included) forbid redistributing prices to the public, and the
app only shows them to signed-in traders. Syncing assets is for staff."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from alpacabackend.api.errors import ServiceUnavailable, StateConflict
from alpacabackend.api.pagination import StandardPagination
from alpacabackend.api.responses import wrapped
from alpacabackend.api.throttles import CandlesThrottle, MarketDataThrottle
from alpacabackend.queue import LEAVE_FOR_RETRY, task_enqueue
from core import selectors
from core.api import serializers as s
from core.api.filters import AssetFilter
from core.market import market_clock
from core.models import Asset, WatchList
from core.providers import ProviderUnavailable, get_provider
from core.quotes import quotes_last_at
from core.services.assets import (
    SYNC_EVERY,
    assets_last_sync_at,
    assets_seed_if_empty,
    assets_sync_is_running,
)
from core.services.candles import candles_window
from core.services.quotes import quote_latest
from core.services.watchlists import (
    watchlist_add_asset,
    watchlist_check_editable,
    watchlist_create,
    watchlist_delete,
    watchlist_remove_asset,
    watchlist_update,
)
from core.tasks import assets_sync_task
from core.timeframes import timeframe_parse

ASSET_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


# --- assets -----------------------------------------------------------------------------------


@extend_schema(
    tags=["market data"],
    parameters=[
        OpenApiParameter(
            "search", str, description="Symbol prefix (ranked first) or part of the name."
        )
    ],
)
class AssetListView(generics.ListAPIView):
    """Assets, searchable and filterable; paginated."""

    throttle_classes = [MarketDataThrottle]

    serializer_class = s.AssetSerializer
    filterset_class = AssetFilter
    queryset = Asset.objects.none()

    def get_queryset(self):
        assets_seed_if_empty()
        return selectors.asset_list(search=self.request.query_params.get("search", ""))


@extend_schema(tags=["market data"], parameters=[ASSET_ID])
class AssetDetailView(generics.RetrieveAPIView):
    throttle_classes = [MarketDataThrottle]
    serializer_class = s.AssetDetailSerializer
    queryset = Asset.objects.none()

    def get_object(self):
        return selectors.asset_get(asset_id=self.kwargs["pk"])


@extend_schema(tags=["market data"], responses=s.AssetDetailSerializer)
class AssetBySymbolView(APIView):
    throttle_classes = [MarketDataThrottle]

    def get(self, request, symbol: str):
        assets_seed_if_empty()
        asset = selectors.asset_get_by_symbol(symbol=symbol)
        return Response(s.AssetDetailSerializer(asset).data)


@extend_schema(tags=["market data"], responses=s.AssetStatsSerializer)
class AssetStatsView(APIView):
    throttle_classes = [MarketDataThrottle]

    def get(self, request):
        assets_seed_if_empty()
        return Response(s.AssetStatsSerializer(selectors.asset_stats()).data)


class CandlePagination(StandardPagination):
    page_size = 500
    max_limit = 5000


class _CandleSchemaQuery(serializers.Serializer):
    tf = serializers.CharField(
        required=False, help_text="Timeframe: 1, 5, 15, 30, 60, 240, 1440 or 1T ... 1D."
    )
    start = serializers.DateTimeField(required=False, help_text=s.CANDLE_START_HELP)
    end = serializers.DateTimeField(required=False, help_text=s.CANDLE_END_HELP)


CANDLES_DESCRIPTION = (
    "Bars newest first; without `end` (or with one in the future) the first bar may still be "
    "forming and carries the live price. With `start` and/or `end` the bars are those "
    "*starting* in the half-open range [start, end): `start` inclusive, `end` exclusive. "
    "`count` counts the bars of the window read for this page, not the asset's whole "
    "history: with `start`, every bar of [start, end); without it, a look-back sized to hold "
    "offset + limit bars (and one more, so `next` knows older bars exist), which grows as "
    "you page back. Page with `next` until it is null rather than computing pages from "
    "`count`."
)


@extend_schema(
    tags=["market data"], parameters=[ASSET_ID, _CandleSchemaQuery], description=CANDLES_DESCRIPTION
)
class AssetCandlesView(generics.ListAPIView):
    """Bars newest first, [start, end); see CANDLES_DESCRIPTION."""

    throttle_classes = [MarketDataThrottle, CandlesThrottle]

    serializer_class = s.CandleSerializer
    pagination_class = CandlePagination
    filter_backends = []
    queryset = Asset.objects.none()

    def list(self, request, pk):
        asset = selectors.asset_get(asset_id=pk)
        query = s.CandleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        timeframe = timeframe_parse(params["tf"])
        if "page" in params and "limit" not in request.query_params:
            size = params.get("page_size", CandlePagination.page_size)
            offset, bars = (params["page"] - 1) * size, params["page"] * size
        else:
            offset, bars = params["offset"], params["offset"] + params["limit"]
        window = candles_window(
            asset=asset,
            timeframe=timeframe,
            bars=bars,
            offset=offset,
            start=params.get("start"),
            end=params.get("end"),
        )
        page = self.paginate_queryset(window)
        return self.get_paginated_response(s.candle_rows_output(page))


@extend_schema(
    tags=["market data"],
    parameters=[ASSET_ID],
    responses=s.wrapped_serializer("WrappedQuote", s.QuoteSerializer()),
)
class AssetQuoteView(APIView):
    throttle_classes = [MarketDataThrottle]

    def get(self, request, pk):
        asset = selectors.asset_get(asset_id=pk)
        quote = quote_latest(symbol=asset.symbol)
        if quote is None:
            raise ProviderUnavailable(
                f"No quote is available for {asset.symbol} right now.",
                code="MARKET_DATA_UNAVAILABLE",
            )
        data = {
            "symbol": quote.symbol,
            "bid": quote.bid,
            "ask": quote.ask,
            "last": quote.last,
            "timestamp": quote.timestamp,
            "age_seconds": round(max(quote.age_seconds(), 0.0), 3),
            "stale": not quote.is_fresh(),
        }
        message = "Quote is stale." if data["stale"] else "Quote retrieved."
        return wrapped(s.QuoteSerializer(data).data, message)


@extend_schema(
    tags=["market data"],
    responses=s.wrapped_serializer("WrappedMarketClock", s.MarketClockSerializer()),
)
class MarketClockView(APIView):
    throttle_classes = [MarketDataThrottle]

    def get(self, request):
        clock = market_clock()
        return wrapped(s.MarketClockSerializer(clock).data, "Market clock.")


# --- provider status and asset sync -------------------------------------------------------------


def _sync_status() -> dict:
    last = assets_last_sync_at()
    total = Asset.objects.count()
    return {
        "last_sync_at": last,
        "total_assets": total,
        "needs_sync": total == 0 or last is None or timezone.now() - last > SYNC_EVERY,
        "is_syncing": assets_sync_is_running(),
    }


@extend_schema(
    tags=["market data"],
    responses=s.wrapped_serializer(
        "WrappedProviderStatusList",
        s.ProviderStatusSerializer(many=True),
        count=serializers.IntegerField(),
    ),
)
class ProviderStatusView(APIView):
    def get(self, request):
        status_row = {**get_provider().status(), "last_quote_at": quotes_last_at()}
        data = s.ProviderStatusSerializer([status_row], many=True).data
        return wrapped(data, "Market data connection status.", count=len(data))


@extend_schema(
    tags=["market data"],
    responses=s.wrapped_serializer("WrappedSyncStatus", s.SyncStatusSerializer()),
)
class SyncStatusView(APIView):
    def get(self, request):
        return wrapped(s.SyncStatusSerializer(_sync_status()).data, "Asset sync status.")


@extend_schema(
    tags=["market data"],
    request=None,
    responses={202: s.wrapped_serializer("WrappedSyncStarted", s.SyncStatusSerializer())},
)
class SyncAssetsView(APIView):
    permission_classes = [IsAdminUser]

    def post(self, request):
        if assets_sync_is_running():
            raise StateConflict("An asset sync is already running.", code="SYNC_IN_PROGRESS")
        if not task_enqueue(assets_sync_task, fallback=LEAVE_FOR_RETRY):
            # The scheduled sync runs once the broker is back; nothing started now.
            raise ServiceUnavailable(
                "The task queue is unavailable: the sync could not be started. Try again shortly.",
                code="QUEUE_UNAVAILABLE",
            )
        return wrapped(
            s.SyncStatusSerializer(_sync_status()).data,
            "Asset sync started.",
            status=status.HTTP_202_ACCEPTED,
        )


# --- watchlists ---------------------------------------------------------------------------------

WATCHLIST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
WrappedWatchList = s.wrapped_serializer("WrappedWatchList", s.WatchListDetailSerializer())


@extend_schema(tags=["watchlists"])
class WatchListViewSet(GenericViewSet):
    """The signed-in user's watchlists; another user's list answers 404."""

    serializer_class = s.WatchListSerializer
    queryset = WatchList.objects.none()
    filter_backends = []
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.watchlist_list(user=self.request.user).order_by(
            "-is_default", "name", "id"
        )

    def _get(self):
        return selectors.watchlist_get(user=self.request.user, watchlist_id=self.kwargs["pk"])

    def _get_editable(self):
        return watchlist_check_editable(watchlist=self._get(), user=self.request.user)

    def _detail(self, watchlist) -> dict:
        fresh = selectors.watchlist_get(user=self.request.user, watchlist_id=watchlist.pk)
        return s.WatchListDetailSerializer(fresh).data

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "global",
                OpenApiTypes.BOOL,
                description="true: the firm's shared lists (any owner), each with `assets`.",
            )
        ],
        responses=s.WatchListDetailSerializer(many=True),
    )
    def list(self, request):
        query = s.WatchListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["global_"]:
            rows = selectors.watchlist_global_list().order_by("name", "id")
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(s.WatchListDetailSerializer(page, many=True).data)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.WatchListSerializer(page, many=True).data)

    @extend_schema(request=s.WatchListInputSerializer, responses={201: WrappedWatchList})
    def create(self, request):
        data = s.WatchListInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        watchlist = watchlist_create(user=request.user, **data.validated_data)
        return wrapped(self._detail(watchlist), "Watchlist created.", status=201)

    @extend_schema(parameters=[WATCHLIST_ID], responses=s.WatchListDetailSerializer)
    def retrieve(self, request, pk):
        return Response(s.WatchListDetailSerializer(self._get()).data)

    @extend_schema(
        parameters=[WATCHLIST_ID],
        request=s.WatchListUpdateSerializer,
        responses=WrappedWatchList,
    )
    def partial_update(self, request, pk):
        watchlist = self._get_editable()
        data = s.WatchListUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        watchlist_update(watchlist=watchlist, **data.validated_data)
        return wrapped(self._detail(watchlist), "Watchlist updated.")

    @extend_schema(parameters=[WATCHLIST_ID], responses={204: None})
    def destroy(self, request, pk):
        watchlist_delete(watchlist=self._get_editable())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[WATCHLIST_ID],
        request=s.WatchListAddAssetSerializer,
        responses={200: WrappedWatchList, 201: WrappedWatchList},
    )
    @action(detail=True, methods=["post"])
    def add_asset(self, request, pk):
        watchlist = self._get_editable()
        data = s.WatchListAddAssetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = Asset.objects.filter(pk=data.validated_data["asset_id"]).first()
        if asset is None:
            raise serializers.ValidationError({"asset_id": ["This asset does not exist."]})
        _, created = watchlist_add_asset(watchlist=watchlist, asset=asset)
        if created:
            return wrapped(self._detail(watchlist), f"{asset.symbol} added.", status=201)
        return wrapped(self._detail(watchlist), f"{asset.symbol} is already on the list.")

    @extend_schema(
        methods=["POST"],
        parameters=[WATCHLIST_ID, OpenApiParameter("asset_id", int, OpenApiParameter.PATH)],
        request=None,
        responses=WrappedWatchList,
    )
    @extend_schema(
        methods=["DELETE"],
        parameters=[WATCHLIST_ID, OpenApiParameter("asset_id", int, OpenApiParameter.PATH)],
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["post", "delete"], url_path=r"remove_asset/(?P<asset_id>\d+)")
    def remove_asset(self, request, pk, asset_id):
        watchlist = self._get_editable()
        watchlist_remove_asset(watchlist=watchlist, asset_id=asset_id)
        if request.method == "DELETE":
            return Response(status=status.HTTP_204_NO_CONTENT)
        return wrapped(self._detail(watchlist), "Asset removed.")


@extend_schema(tags=["watchlists"])
class DefaultWatchListView(generics.ListAPIView):
    """The entries of the user's default list, for quick picks (empty without one)."""

    serializer_class = s.DefaultWatchListAssetSerializer
    filter_backends = []
    queryset = WatchList.objects.none()

    def get_queryset(self):
        return selectors.watchlist_default_items(user=self.request.user)
