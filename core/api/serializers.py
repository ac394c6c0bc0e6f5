import functools

from rest_framework import serializers

from alpacabackend.api.fields import AsciiIntegerField, DecimalNumberField
from alpacabackend.api.inputs import InputSerializer
from core.models import Asset, WatchList, WatchListAsset
from core.timeframes import ALLOWED


class AssetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = [
            "id",
            "symbol",
            "name",
            "asset_class",
            "exchange",
            "status",
            "tradable",
            "shortable",
            "fractionable",
            "easy_to_borrow",
            "marginable",
        ]
        read_only_fields = fields


class AssetDetailSerializer(AssetSerializer):
    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "created_at", "updated_at"]
        read_only_fields = fields


class AssetBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Asset
        fields = ["id", "symbol", "name", "asset_class", "exchange"]
        read_only_fields = fields


class ChoiceCountSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class AssetStatsSerializer(serializers.Serializer):
    asset_classes = ChoiceCountSerializer(many=True)
    exchanges = ChoiceCountSerializer(many=True)
    total_count = serializers.IntegerField()


# Candle ranges are half-open everywhere (fetching, storing, reading): [start, end).
CANDLE_START_HELP = "ISO 8601. Bars starting at or after this instant (inclusive)."
CANDLE_END_HELP = (
    "ISO 8601. Bars starting before this instant (exclusive): the range is [start, end)."
)


class CandleQuerySerializer(InputSerializer):
    tf = serializers.CharField(
        default="1", help_text=f"Timeframe: {', '.join(ALLOWED)} (minutes or codes)."
    )
    limit = AsciiIntegerField(min_value=1, max_value=5000, default=500)
    offset = AsciiIntegerField(min_value=0, default=0)
    page = AsciiIntegerField(min_value=1, required=False)
    page_size = AsciiIntegerField(min_value=1, max_value=5000, required=False)
    start = serializers.DateTimeField(required=False, help_text=CANDLE_START_HELP)
    end = serializers.DateTimeField(required=False, help_text=CANDLE_END_HELP)

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"start": ["Must be before end."]})
        return attrs


class CandleSerializer(serializers.Serializer):
    """A bar with long keys and the short ones the app's chart reads. Prices and volume are
    JSON numbers: the chart hands them to lightweight-charts and calls `.toFixed` on them."""

    date = serializers.DateTimeField(source="timestamp")
    open = DecimalNumberField()
    high = DecimalNumberField()
    low = DecimalNumberField()
    close = DecimalNumberField()
    volume = DecimalNumberField()
    t = serializers.DateTimeField(source="timestamp")
    o = DecimalNumberField(source="open")
    h = DecimalNumberField(source="high")
    l = DecimalNumberField(source="low")  # noqa: E741 - the app reads `l`
    c = DecimalNumberField(source="close")
    v = DecimalNumberField(source="volume")


@functools.cache
def _candle_layout() -> tuple:
    """CandleSerializer's keys in order, each with its source, and one representation per
    source (the long and the short key show the same value)."""
    fields = CandleSerializer().fields
    keys = tuple((name, field.source) for name, field in fields.items())
    shown = {}
    for field in fields.values():
        shown.setdefault(field.source, field.to_representation)
    return keys, tuple(shown.items())


def candle_rows_output(bars) -> list[dict]:
    """CandleSerializer(bars, many=True).data, to the character, without DRF's attribute
    lookups per key: each value is represented once for both of its keys. A chart polls
    up to 5,000 bars (issue 13)."""
    keys, shown = _candle_layout()
    out = []
    for bar in bars:
        values = {}
        for source, represent in shown:
            value = getattr(bar, source)
            values[source] = None if value is None else represent(value)
        out.append({name: values[source] for name, source in keys})
    return out


class QuoteSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    bid = DecimalNumberField()
    ask = DecimalNumberField()
    last = DecimalNumberField()
    timestamp = serializers.DateTimeField()
    age_seconds = serializers.FloatField(help_text="Seconds since the quote was made.")
    stale = serializers.BooleanField(
        help_text="True when older than MARKET_DATA_MAX_QUOTE_AGE: shown, never used as fresh."
    )


class MarketClockSerializer(serializers.Serializer):
    """The US equity market's clock. A market open around the clock (the simulated market
    with SIMULATED_MARKET_HOURS=always) has back-to-back sessions of one UTC day: it is
    always open, its session closes at the next UTC midnight and the next session opens at
    that same instant, so `next_open` equals `next_close` there."""

    is_open = serializers.BooleanField()
    next_open = serializers.DateTimeField(
        help_text="Start of the next session (after the one in progress, if open). Around "
        "the clock: the next UTC midnight, the same instant as next_close."
    )
    next_close = serializers.DateTimeField(
        help_text="End of the session in progress, else of the next one. Around the clock: "
        "the next UTC midnight."
    )
    timestamp = serializers.DateTimeField()


class WatchListSerializer(serializers.ModelSerializer):
    asset_count = serializers.SerializerMethodField()

    class Meta:
        model = WatchList
        fields = [
            "id",
            "name",
            "description",
            "is_active",
            "is_default",
            "is_global",
            "asset_count",
            "created_at",
        ]
        read_only_fields = fields

    def get_asset_count(self, watchlist) -> int:
        count = getattr(watchlist, "asset_count", None)
        return count if count is not None else watchlist.items.count()


class WatchListEntrySerializer(serializers.ModelSerializer):
    asset = AssetBriefSerializer()

    class Meta:
        model = WatchListAsset
        fields = ["id", "added_at", "is_active", "asset"]
        read_only_fields = fields


class WatchListDetailSerializer(WatchListSerializer):
    assets = WatchListEntrySerializer(source="items", many=True, read_only=True)

    class Meta(WatchListSerializer.Meta):
        fields = [*WatchListSerializer.Meta.fields, "updated_at", "assets"]
        read_only_fields = fields


class WatchListQuerySerializer(serializers.Serializer):
    global_ = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: the firm's shared lists, each with its assets, instead of your own.",
    )

    def to_internal_value(self, data):
        # `global` is a Python keyword: read the query parameter under its own name.
        return super().to_internal_value({"global_": data.get("global", False)})


class WatchListInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
    is_default = serializers.BooleanField(required=False, default=False)


class WatchListUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)


class WatchListAddAssetSerializer(serializers.Serializer):
    asset_id = AsciiIntegerField(min_value=1)


class DefaultWatchListAssetSerializer(serializers.Serializer):
    class _Asset(serializers.Serializer):
        id = serializers.IntegerField()
        symbol = serializers.CharField()
        name = serializers.CharField()

    id = serializers.IntegerField()
    added_at = serializers.DateTimeField()
    asset = _Asset()


class ProviderStatusSerializer(serializers.Serializer):
    provider = serializers.CharField()
    connected = serializers.BooleanField()
    feed = serializers.CharField()
    last_quote_at = serializers.DateTimeField(allow_null=True)


class SyncStatusSerializer(serializers.Serializer):
    last_sync_at = serializers.DateTimeField(allow_null=True)
    total_assets = serializers.IntegerField()
    needs_sync = serializers.BooleanField()
    is_syncing = serializers.BooleanField()


def wrapped_serializer(name: str, data, **extra):
    """The schema of the wrapped envelope `{"msg", "data", ...}` around `data`."""
    from drf_spectacular.utils import inline_serializer

    return inline_serializer(
        name=name, fields={"msg": serializers.CharField(), "data": data, **extra}
    )
