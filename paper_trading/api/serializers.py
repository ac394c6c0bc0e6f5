"""Input parsing and output shapes of the paper trading API (API.md "paper_trading").

No business rules here: inputs are parsed and normalised, the services decide.
"""

import decimal
import functools
import operator
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import ISO_8601, api_settings

from alpacabackend.api.fields import AsciiDecimalField, AsciiIntegerField, NormalisedChoiceField
from alpacabackend.api.inputs import InputSerializer
from alpacabackend.money import PRICE_DIGITS
from paper_trading.models import (
    Direction,
    OrderType,
    PositionEffect,
    TimeInForce,
    Trade,
    TradeStatus,
)
from paper_trading.selectors import trade_valuation

_PRICE = PRICE_DIGITS
_PRICE_STEP = Decimal("0.000001")
_CENT = Decimal("0.01")


def _price_field(**kwargs):
    return AsciiDecimalField(**_PRICE, required=False, allow_null=True, **kwargs)


# These values are decimal strings, as every DecimalField answers (COERCE_DECIMAL_TO_STRING).
_DECIMAL_STRING = {"type": "string", "format": "decimal"}

_IGNORED = "Ignored: fills and valuations use the server's quotes."


class TradePlaceInput(InputSerializer):
    """Both shapes the web app sends: `{asset, direction, ...}` or `{symbol, side, ...}`.

    `direction` always opens a new trade. `side` nets against the position: an order opposite
    to the open trades of that symbol closes them first (oldest first) and only the rest opens
    (buy → LONG, sell → SHORT)."""

    account_id = AsciiIntegerField(required=False, allow_null=True, min_value=1)
    asset = serializers.CharField(
        required=False, max_length=32, help_text="Asset id or symbol (or send `symbol`)."
    )
    symbol = serializers.CharField(required=False, max_length=32)
    direction = NormalisedChoiceField(choices=Direction.choices, required=False)
    side = NormalisedChoiceField(
        choices=["buy", "sell"],
        lower=True,
        required=False,
        help_text="sell first closes open LONG trades of the symbol (oldest first), buy open "
        "SHORT ones; the rest opens a position: buy a LONG, sell a SHORT. Send `direction` "
        "instead to always open a new trade.",
    )
    quantity = AsciiDecimalField(**_PRICE)
    order_type = NormalisedChoiceField(choices=OrderType.choices, default=OrderType.MARKET)
    time_in_force = NormalisedChoiceField(choices=TimeInForce.choices, default=TimeInForce.GTC)
    limit_price = _price_field()
    stop_price = _price_field()
    stop_loss = _price_field()
    take_profit = _price_field()
    target_price = _price_field(help_text="Same as take_profit.")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    client_order_id = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=64
    )
    entry_price = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=_IGNORED
    )

    def validate(self, attrs):
        if not attrs.get("asset") and not attrs.get("symbol"):
            raise serializers.ValidationError({"symbol": ["Send the symbol (or asset) to trade."]})
        from_side = {"buy": Direction.LONG, "sell": Direction.SHORT}.get(attrs.get("side"))
        direction = attrs.get("direction")
        if direction and from_side and direction != from_side:
            raise serializers.ValidationError(
                {"side": [f"side {attrs['side']} contradicts direction {direction}."]}
            )
        if not (direction or from_side):
            raise serializers.ValidationError({"direction": ["Send direction or side."]})
        attrs["direction"] = direction or from_side
        # The explicit direction format always opens; the side format nets.
        attrs["position_effect"] = PositionEffect.OPEN if direction else PositionEffect.REDUCE
        if attrs.get("take_profit") is None and attrs.get("target_price") is not None:
            attrs["take_profit"] = attrs["target_price"]
        attrs.pop("entry_price", None)
        attrs["client_order_id"] = attrs.get("client_order_id") or None
        return attrs


class TradeUpdateInput(InputSerializer):
    stop_loss = _price_field(help_text="null clears it.")
    take_profit = _price_field(help_text="null clears it.")
    target_price = _price_field(help_text="Same as take_profit.")
    limit_price = _price_field(help_text="A pending order's limit.")
    stop_price = _price_field(help_text="A pending order's stop.")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        if "target_price" in attrs:
            target = attrs.pop("target_price")
            attrs.setdefault("take_profit", target)
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class TradeCloseInput(InputSerializer):
    quantity = AsciiDecimalField(
        **_PRICE, required=False, allow_null=True, help_text="Part to close; all when absent."
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    exit_price = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=_IGNORED
    )


class TradeCancelInput(InputSerializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TradeListQuery(InputSerializer):
    account_id = AsciiIntegerField(
        required=False,
        min_value=1,
        help_text="One of your accounts. Without it (and without `all`), the current account: "
        "the first ACTIVE account of GET /api/prop-firm/accounts/, the one orders without "
        "`account_id` go to (your newest account when none is active).",
    )
    all = serializers.BooleanField(
        required=False, default=False, help_text="true: the trades of every account of yours."
    )
    status = NormalisedChoiceField(choices=TradeStatus.choices, required=False)
    asset = serializers.CharField(required=False, max_length=32, help_text="Asset id or symbol.")
    symbol = serializers.CharField(required=False, max_length=32)


class AccountQuery(InputSerializer):
    account_id = AsciiIntegerField(required=False, min_value=1)


def _fmt(value: Decimal | None, step: Decimal) -> str | None:
    return None if value is None else str(value.quantize(step))


class TradeOutput(serializers.ModelSerializer):
    """API.md's trade object. Valuations use `context["quotes"]` (symbol → quote)."""

    account_number = serializers.CharField(source="account.account_number", read_only=True)
    asset_symbol = serializers.CharField(source="asset.symbol", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    entry_time = serializers.DateTimeField(source="entry_at", read_only=True, allow_null=True)
    target_price = serializers.DecimalField(
        source="take_profit", **_PRICE, read_only=True, allow_null=True
    )
    entry_cost = serializers.SerializerMethodField()
    current_price = serializers.SerializerMethodField()
    current_value = serializers.SerializerMethodField()
    unrealized_pl = serializers.SerializerMethodField()

    class Meta:
        model = Trade
        fields = [
            "id", "account", "account_number", "asset", "asset_symbol", "asset_name",
            "direction", "order_type", "time_in_force", "status", "position_effect",
            "quantity", "limit_price",
            "stop_price", "stop_triggered_at", "entry_price", "entry_at", "entry_time",
            "entry_cost", "current_price", "current_value", "unrealized_pl", "realized_pl",
            "exit_price", "exit_at", "close_reason", "stop_loss", "take_profit",
            "target_price", "commission", "notes", "rejection_reason", "client_order_id",
            "expires_at", "split_from", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _valuation(self, trade: Trade):
        cache = self.context.setdefault("_valuations", {})
        if trade.pk not in cache:
            quote = self.context.get("quotes", {}).get(trade.asset.symbol)
            cache[trade.pk] = trade_valuation(trade, quote)
        return cache[trade.pk]

    @extend_schema_field(_DECIMAL_STRING)
    def get_entry_cost(self, trade: Trade) -> str | None:
        if trade.entry_price is None:
            return None
        return _fmt(trade.entry_price * trade.quantity, _CENT)

    @extend_schema_field(_DECIMAL_STRING)
    def get_current_price(self, trade: Trade) -> str | None:
        return _fmt(self._valuation(trade).current_price, _PRICE_STEP)

    @extend_schema_field(_DECIMAL_STRING)
    def get_current_value(self, trade: Trade) -> str | None:
        return _fmt(self._valuation(trade).current_value, _CENT)

    @extend_schema_field(_DECIMAL_STRING)
    def get_unrealized_pl(self, trade: Trade) -> str | None:
        return _fmt(self._valuation(trade).unrealized_pl, _CENT)


class OrderOutput(TradeOutput):
    """The answer to an order: the trade object (the last trade it closed, else the trade it
    opened or the order it placed) and the ids of every trade it affected."""

    closed_trade_ids = serializers.SerializerMethodField(
        help_text="Trades this order closed, oldest first (a piece split from a trade has its "
        "own id); empty when it closed nothing."
    )
    opened_trade_id = serializers.SerializerMethodField(
        help_text="The trade this order opened or the order it placed (PENDING); null when it "
        "only closed."
    )

    class Meta(TradeOutput.Meta):
        fields = [*TradeOutput.Meta.fields, "closed_trade_ids", "opened_trade_id"]
        read_only_fields = fields

    def get_closed_trade_ids(self, trade: Trade) -> list[int]:
        return [t.pk for t in self.context["order"].closed]

    def get_opened_trade_id(self, trade: Trade) -> int | None:
        opened = self.context["order"].opened
        return None if opened is None else opened.pk


class PositionOutput(serializers.Serializer):
    symbol = serializers.CharField()
    asset = serializers.IntegerField(help_text="Asset id.")
    direction = serializers.ChoiceField(choices=Direction.choices)
    quantity = serializers.DecimalField(**_PRICE)
    avg_entry_price = serializers.DecimalField(**_PRICE)
    current_price = serializers.DecimalField(**_PRICE, allow_null=True)
    market_value = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    unrealized_pl = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class TradeEnvelope(serializers.Serializer):
    msg = serializers.CharField()
    data = TradeOutput()


class OrderEnvelope(serializers.Serializer):
    msg = serializers.CharField()
    data = OrderOutput()


class TradeListEnvelope(serializers.Serializer):
    msg = serializers.CharField()
    data = TradeOutput(many=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class PositionListEnvelope(serializers.Serializer):
    msg = serializers.CharField()
    data = PositionOutput(many=True)


# --- The trade list from plain rows ------------------------------------------------------
# The list answers many trades at a time; building a model instance per row and walking
# DRF's fields and attribute lookups per value cost more than the query (issue 13). The rows
# come from `values(*TRADE_ROW_FIELDS)`; each of TradeOutput's fields is turned once per list
# into a formatter doing what its `to_representation` does, so the JSON is the same to the
# character (a test compares both for trades in every state).

TRADE_ROW_FIELDS = (
    *(
        name
        for name in TradeOutput.Meta.fields
        if name
        not in {
            "account", "asset", "split_from", "account_number", "asset_symbol", "asset_name",
            "entry_time", "target_price", "entry_cost", "current_price", "current_value",
            "unrealized_pl",
        }
    ),
    "account_id", "asset_id", "split_from_id",
    "account__account_number", "asset__symbol", "asset__name",
)  # fmt: skip

_ROW_SOURCES = {
    "account": "account_id",
    "asset": "asset_id",
    "split_from": "split_from_id",
    "account_number": "account__account_number",
    "asset_symbol": "asset__symbol",
    "asset_name": "asset__name",
    "entry_time": "entry_at",
    "target_price": "take_profit",
}
_COMPUTED = {"entry_cost", "current_price", "current_value", "unrealized_pl"}
_VALUED_STATUSES = frozenset({TradeStatus.OPEN.value, TradeStatus.CLOSED.value})


@functools.cache
def _trade_output_fields() -> dict:
    # A ModelSerializer builds its fields from the model on every instance: once is enough.
    return dict(TradeOutput().fields)


def _decimal_formatter(field: serializers.DecimalField):
    if (
        field.normalize_output
        or field.localize
        or not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    ):
        return field.to_representation
    places = field.decimal_places
    step = Decimal(1).scaleb(-places)
    context = decimal.getcontext().copy()
    context.prec = field.max_digits
    rounding = field.rounding

    def formatted(value):
        # A column's value already holds the field's decimal places (PostgreSQL's NUMERIC
        # keeps its scale, Django's SQLite converter quantizes to it): its text is the
        # answer, and quantizing it again changes nothing. Anything else is quantized.
        text = str(value)
        dot = text.find(".")
        if dot > 0 and len(text) - dot - 1 == places and "E" not in text:
            return text
        return format(value.quantize(step, rounding=rounding, context=context), "f")

    return formatted


def _datetime_formatter(field: serializers.DateTimeField):
    if getattr(field, "format", api_settings.DATETIME_FORMAT).lower() != ISO_8601:
        return field.to_representation
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return field.to_representation

    def formatted(value):
        if value.tzinfo is None:
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return formatted


def _formatter(field):
    """What `field.to_representation` does to a non-null value of a row; None where the
    stored value is already its JSON (strings, choices, ids)."""
    if isinstance(field, serializers.DecimalField):
        return _decimal_formatter(field)
    if isinstance(field, serializers.DateTimeField):
        return _datetime_formatter(field)
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        return None  # a string from the database is its own representation
    if isinstance(field, serializers.PrimaryKeyRelatedField | serializers.IntegerField):
        return None  # the row holds the id (an int) itself
    return field.to_representation


class _TradeRow:
    """An open trade's row as `trade_valuation` reads a trade."""

    __slots__ = ("direction", "entry_price", "exit_price", "quantity", "status")

    def __init__(self, row: dict) -> None:
        for name in self.__slots__:
            setattr(self, name, row[name])


@functools.cache
def _row_layout(zone_name: str) -> tuple:
    """How a row becomes TradeOutput's item, worked out once per time zone (the datetime
    formatters convert to it): the keys in order, the values copied as they are (names and
    one getter for all their sources) and those formatted."""
    fields = _trade_output_fields()
    plain, formatted = [], []
    for name, field in fields.items():
        if name not in _COMPUTED:
            source, formatter = _ROW_SOURCES.get(name, name), _formatter(field)
            if formatter is None:
                plain.append((name, source))
            else:
                formatted.append((name, source, formatter))
    plain_names = tuple(name for name, _ in plain)
    plain_values = operator.itemgetter(*(source for _, source in plain))
    return tuple(fields), plain_names, plain_values, tuple(formatted)


def trade_rows_output(rows, quotes) -> list[dict]:
    """TradeOutput's JSON for `rows` (dicts of TRADE_ROW_FIELDS); `quotes` as its context."""
    names, plain_names, plain_values, formatted = _row_layout(timezone.get_current_timezone_name())
    out = []
    for row in rows:
        item = dict.fromkeys(names)  # TradeOutput's key order; None unless set below
        item.update(zip(plain_names, plain_values(row), strict=True))  # keys keep their place
        for name, source, formatter in formatted:
            value = row[source]
            if value is not None:
                item[name] = formatter(value)
        entry_price = row["entry_price"]
        if entry_price is not None:
            item["entry_cost"] = _fmt(entry_price * row["quantity"], _CENT)
        # Only open and closed trades have a value (trade_valuation); the others keep None.
        if row["status"] in _VALUED_STATUSES:
            valuation = trade_valuation(_TradeRow(row), quotes.get(row["asset__symbol"]))
            item["current_price"] = _fmt(valuation.current_price, _PRICE_STEP)
            item["current_value"] = _fmt(valuation.current_value, _CENT)
            item["unrealized_pl"] = _fmt(valuation.unrealized_pl, _CENT)
        out.append(item)
    return out


def _trade_row(trade: Trade) -> dict:
    """`trade` as the plain row the list formats: one code path for one trade and many."""
    row = {name: getattr(trade, name) for name in TRADE_ROW_FIELDS if "__" not in name}
    row["account__account_number"] = trade.account.account_number
    row["asset__symbol"] = trade.asset.symbol
    row["asset__name"] = trade.asset.name
    return row


def trade_output(trade: Trade, quotes) -> dict:
    """TradeOutput's JSON for one trade, without building a ModelSerializer (whose fields
    are made anew for every instance: a third of an order's time, issue 13)."""
    return trade_rows_output([_trade_row(trade)], quotes)[0]


def order_output(order, quotes) -> dict:
    """OrderOutput's JSON for an order's result (`trade`, `closed`, `opened`)."""
    data = trade_output(order.trade, quotes)
    data["closed_trade_ids"] = [trade.pk for trade in order.closed]
    data["opened_trade_id"] = None if order.opened is None else order.opened.pk
    return data
