"""The documented shapes of the Alpaca API's answers (OpenAPI only: the answers are built by
`shapes`, `selectors`, `services` and `market_data`, which alpaca-py's pydantic models
parse). Each serializer here states what those functions return, field by field: strings
where the trading models carry numbers as strings, JSON numbers in the market data, null
where the answer can be null. A field that is always null here is a field alpaca-py reads
and we have no value for.

Shapes with a field named by a Python keyword (`class`, `as`) are built with
`inline_serializer`.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers

from core.models import AssetClass
from prop_firm.alpaca_api import shapes
from prop_firm.api.serializers import ObjectiveOutput

# Alpaca's enum values we answer (settings.ENUM_NAME_OVERRIDES names them in the schema).
ORDER_STATUSES = sorted({*shapes.ORDER_STATUS.values(), "held"})  # held: a resting bracket's exits
ORDER_CLASSES = ["simple", "bracket", "oto"]
ORDER_SIDES = ["buy", "sell"]
ORDER_TYPES = ["market", "limit", "stop", "stop_limit"]
TIMES_IN_FORCE = ["day", "gtc"]  # ioc and fok orders that did not fill are canceled at once
POSITION_SIDES = ["long", "short"]
ASSET_STATUSES = ["active", "inactive"]
EXCHANGES = sorted({*shapes.EXCHANGES, ""})
ACCOUNT_STATUSES = sorted(set(shapes.ACCOUNT_STATUS.values()))
CASH_ACTIVITY_TYPES = ["CSD", "CSW", "FEE", "JNLC"]


def _text(help_text: str = "", **kwargs) -> serializers.CharField:
    return serializers.CharField(help_text=help_text, allow_blank=True, **kwargs)


def _nullable(help_text: str = "") -> serializers.CharField:
    return serializers.CharField(help_text=help_text, allow_null=True, allow_blank=True)


def _time(help_text: str = "", *, null: bool = False) -> serializers.DateTimeField:
    return serializers.DateTimeField(help_text=help_text, allow_null=null)


_DECIMAL = "A decimal number as a string."

# --------------------------------------------------------------------------------------
# Account
# --------------------------------------------------------------------------------------


class AlpacaAccountOutput(serializers.Serializer):
    id = serializers.UUIDField()
    account_number = serializers.CharField()
    status = serializers.ChoiceField(
        ACCOUNT_STATUSES, help_text="INACTIVE once passed, DISABLED once failed."
    )
    crypto_status = serializers.ChoiceField(ACCOUNT_STATUSES, help_text="The same as status.")
    currency = serializers.CharField()
    buying_power = serializers.CharField(help_text=_DECIMAL)
    regt_buying_power = serializers.CharField(help_text=_DECIMAL)
    daytrading_buying_power = serializers.CharField(help_text=_DECIMAL)
    non_marginable_buying_power = serializers.CharField(help_text=_DECIMAL)
    options_buying_power = serializers.CharField(help_text=_DECIMAL)
    cash = serializers.CharField(help_text="The balance. " + _DECIMAL)
    accrued_fees = serializers.CharField(help_text=_DECIMAL)
    pending_transfer_out = serializers.CharField(help_text=_DECIMAL)
    pending_transfer_in = serializers.CharField(help_text=_DECIMAL)
    portfolio_value = serializers.CharField(help_text=_DECIMAL)
    equity = serializers.CharField(help_text=_DECIMAL)
    last_equity = serializers.CharField(help_text="Start-of-day equity. " + _DECIMAL)
    long_market_value = serializers.CharField(help_text=_DECIMAL)
    short_market_value = serializers.CharField(help_text=_DECIMAL)
    initial_margin = serializers.CharField(help_text=_DECIMAL)
    maintenance_margin = serializers.CharField(help_text=_DECIMAL)
    last_maintenance_margin = serializers.CharField(help_text=_DECIMAL)
    sma = serializers.CharField(help_text=_DECIMAL)
    multiplier = serializers.CharField(help_text="The firm's leverage. " + _DECIMAL)
    pattern_day_trader = serializers.BooleanField()
    daytrade_count = serializers.IntegerField()
    shorting_enabled = serializers.BooleanField()
    trading_blocked = serializers.BooleanField()
    transfers_blocked = serializers.BooleanField()
    account_blocked = serializers.BooleanField()
    trade_suspended_by_user = serializers.BooleanField()
    created_at = _time()
    options_approved_level = serializers.IntegerField()
    options_trading_level = serializers.IntegerField()


class AlpacaAccountConfigurationOutput(serializers.Serializer):
    dtbp_check = serializers.CharField()
    fractional_trading = serializers.BooleanField()
    max_margin_multiplier = serializers.CharField(help_text=_DECIMAL)
    no_shorting = serializers.BooleanField()
    pdt_check = serializers.CharField()
    suspend_trade = serializers.BooleanField()
    trade_confirm_email = serializers.CharField()
    ptp_no_exception_entry = serializers.BooleanField()
    max_options_trading_level = serializers.IntegerField()


class AlpacaPortfolioHistoryOutput(serializers.Serializer):
    timestamp = serializers.ListField(child=serializers.IntegerField(), help_text="Unix seconds.")
    equity = serializers.ListField(child=serializers.FloatField())
    profit_loss = serializers.ListField(child=serializers.FloatField())
    profit_loss_pct = serializers.ListField(child=serializers.FloatField(allow_null=True))
    base_value = serializers.FloatField()
    timeframe = serializers.CharField()
    cashflow = serializers.DictField(help_text="Always empty.")


class AlpacaFillActivityOutput(serializers.Serializer):
    id = serializers.CharField()
    account_id = serializers.UUIDField()
    activity_type = serializers.ChoiceField(["FILL"])
    transaction_time = _time()
    type = serializers.ChoiceField(["fill"])
    price = serializers.CharField(help_text=_DECIMAL)
    qty = serializers.CharField(help_text=_DECIMAL)
    side = serializers.ChoiceField(ORDER_SIDES)
    symbol = serializers.CharField()
    leaves_qty = serializers.CharField(help_text=_DECIMAL)
    order_id = serializers.UUIDField()
    cum_qty = serializers.CharField(help_text=_DECIMAL)
    order_status = serializers.ChoiceField(["filled"])


class AlpacaCashActivityOutput(serializers.Serializer):
    id = serializers.CharField()
    account_id = serializers.UUIDField()
    activity_type = serializers.ChoiceField(CASH_ACTIVITY_TYPES)
    date = serializers.DateField()
    net_amount = serializers.CharField(help_text=_DECIMAL)
    description = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(["executed"])
    symbol = _nullable("Always null.")
    qty = _nullable("Always null.")
    price = _nullable("Always null.")
    per_share_amount = _nullable("Always null.")


ALPACA_ACTIVITY = PolymorphicProxySerializer(
    component_name="AlpacaActivity",
    serializers=[AlpacaFillActivityOutput, AlpacaCashActivityOutput],
    resource_type_field_name=None,
    many=True,
)


class AlpacaPropRulesOutput(serializers.Serializer):
    account_number = serializers.CharField()
    status = serializers.CharField(help_text="Our account status (ACTIVE, PASSED, FAILED...).")
    stage = serializers.CharField()
    phase = serializers.IntegerField()
    can_trade = serializers.BooleanField()
    trading_blocked = serializers.BooleanField()
    starting_balance = serializers.CharField(help_text=_DECIMAL)
    balance = serializers.CharField(help_text=_DECIMAL)
    equity = serializers.CharField(help_text=_DECIMAL)
    daily_loss_floor = serializers.CharField(help_text=_DECIMAL)
    daily_loss_room = serializers.CharField(help_text=_DECIMAL)
    max_loss_floor = serializers.CharField(help_text=_DECIMAL)
    max_loss_room = serializers.CharField(help_text=_DECIMAL)
    profit_target = serializers.JSONField(
        allow_null=True, help_text="The PROFIT_TARGET objective's target; null without one."
    )
    profit_progress = serializers.JSONField(allow_null=True)
    profit_target_met = serializers.BooleanField(allow_null=True)
    objectives = ObjectiveOutput(many=True)
    next_reset_at = _time()
    prices_stale = serializers.BooleanField()


# --------------------------------------------------------------------------------------
# Orders and positions
# --------------------------------------------------------------------------------------


class _OrderFields(serializers.Serializer):
    id = serializers.UUIDField()
    client_order_id = serializers.CharField()
    created_at = _time()
    updated_at = _time()
    submitted_at = _time()
    filled_at = _time(null=True)
    expired_at = _time(null=True)
    expires_at = _time(null=True)
    canceled_at = _time(null=True)
    failed_at = _time(null=True)
    replaced_at = _time(null=True)
    replaced_by = _nullable("Always null: a replaced order keeps its id.")
    replaces = _nullable("Always null.")
    asset_id = serializers.UUIDField()
    symbol = serializers.CharField()
    asset_class = serializers.ChoiceField(AssetClass.choices)
    notional = _nullable("Always null: orders are by quantity.")
    qty = serializers.CharField(help_text=_DECIMAL)
    filled_qty = serializers.CharField(help_text=_DECIMAL)
    filled_avg_price = _nullable(_DECIMAL)
    order_class = serializers.ChoiceField(ORDER_CLASSES)
    order_type = serializers.ChoiceField(ORDER_TYPES)
    type = serializers.ChoiceField(ORDER_TYPES, help_text="The same as order_type.")
    side = serializers.ChoiceField(ORDER_SIDES)
    time_in_force = serializers.ChoiceField(TIMES_IN_FORCE)
    limit_price = _nullable(_DECIMAL)
    stop_price = _nullable(_DECIMAL)
    status = serializers.ChoiceField(ORDER_STATUSES)
    extended_hours = serializers.BooleanField()
    trail_percent = _nullable("Always null: no trailing orders.")
    trail_price = _nullable("Always null: no trailing orders.")
    hwm = _nullable("Always null.")
    position_intent = _nullable("Always null.")


class AlpacaOrderLegOutput(_OrderFields):
    """A bracket's exit (take_profit a limit, stop_loss a stop order)."""

    legs = _nullable("Always null: legs have no legs.")


class AlpacaOrderOutput(_OrderFields):
    legs = AlpacaOrderLegOutput(many=True, allow_null=True, help_text="A bracket's exits.")


class AlpacaCancelAnswerOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.IntegerField(help_text="200 when canceled, 422 when it could not be.")
    body = inline_serializer(
        name="AlpacaCancelRefusal",
        fields={"message": serializers.CharField()},
        allow_null=True,
        help_text="null when canceled.",
    )


class AlpacaCloseRefusalOutput(serializers.Serializer):
    code = serializers.IntegerField()
    message = serializers.CharField()
    symbol = serializers.CharField()
    available = serializers.CharField(help_text=_DECIMAL)
    existing_qty = serializers.CharField(help_text=_DECIMAL)
    held_for_orders = serializers.CharField(help_text=_DECIMAL)


class AlpacaCloseAnswerOutput(serializers.Serializer):
    order_id = serializers.UUIDField(allow_null=True, help_text="null when refused.")
    status = serializers.IntegerField(help_text="200, or the refusal's HTTP status.")
    symbol = serializers.CharField()
    body = PolymorphicProxySerializer(
        component_name="AlpacaCloseBody",
        serializers=[AlpacaOrderOutput, AlpacaCloseRefusalOutput],
        resource_type_field_name=None,
        help_text="The closing order, or why the position could not be closed.",
    )


class AlpacaPositionOutput(serializers.Serializer):
    asset_id = serializers.UUIDField()
    symbol = serializers.CharField()
    exchange = serializers.ChoiceField(
        EXCHANGES, allow_blank=True, help_text="Empty when the exchange is not one of Alpaca's."
    )
    asset_class = serializers.ChoiceField(AssetClass.choices)
    asset_marginable = serializers.BooleanField()
    avg_entry_price = serializers.CharField(help_text=_DECIMAL)
    qty = serializers.CharField(help_text=_DECIMAL + " Negative when short.")
    qty_available = serializers.CharField(help_text=_DECIMAL)
    side = serializers.ChoiceField(POSITION_SIDES)
    market_value = _nullable(_DECIMAL + " null without a quote.")
    cost_basis = serializers.CharField(help_text=_DECIMAL)
    unrealized_pl = _nullable(_DECIMAL + " null without a quote.")
    unrealized_plpc = _nullable(_DECIMAL + " null without a quote.")
    unrealized_intraday_pl = _nullable("Always null.")
    unrealized_intraday_plpc = _nullable("Always null.")
    current_price = _nullable(_DECIMAL + " null without a quote.")
    lastday_price = _nullable("Always null.")
    change_today = _nullable("Always null.")


# --------------------------------------------------------------------------------------
# Assets, clock, calendar
# --------------------------------------------------------------------------------------

AlpacaAssetOutput = inline_serializer(
    name="AlpacaAsset",
    fields={
        "id": serializers.UUIDField(),
        "class": serializers.ChoiceField(AssetClass.choices),
        "exchange": serializers.ChoiceField(
            EXCHANGES, allow_blank=True, help_text="Empty when not one of Alpaca's exchanges."
        ),
        "symbol": serializers.CharField(),
        "name": _text(),
        "status": serializers.ChoiceField(ASSET_STATUSES),
        "tradable": serializers.BooleanField(),
        "marginable": serializers.BooleanField(),
        "shortable": serializers.BooleanField(),
        "easy_to_borrow": serializers.BooleanField(),
        "fractionable": serializers.BooleanField(),
        "min_order_size": _nullable("Always null."),
        "min_trade_increment": _nullable("Always null."),
        "price_increment": _nullable("Always null."),
        "maintenance_margin_requirement": _nullable("Always null."),
        "attributes": serializers.ListField(child=serializers.CharField()),
    },
).__class__


class AlpacaClockOutput(serializers.Serializer):
    timestamp = _time()
    is_open = serializers.BooleanField()
    next_open = _time()
    next_close = _time()


class AlpacaCalendarDayOutput(serializers.Serializer):
    date = serializers.DateField()
    open = serializers.CharField(help_text="HH:MM, New York time.")
    close = serializers.CharField(help_text="HH:MM, New York time.")
    session_open = serializers.CharField(help_text="HHMM.")
    session_close = serializers.CharField(help_text="HHMM.")
    settlement_date = serializers.DateField()


# --------------------------------------------------------------------------------------
# Market data: JSON numbers, as in Alpaca's data API
# --------------------------------------------------------------------------------------


class AlpacaBarOutput(serializers.Serializer):
    t = _time()
    o = serializers.FloatField()
    h = serializers.FloatField()
    l = serializers.FloatField()  # noqa: E741 - Alpaca's name for the low
    c = serializers.FloatField()
    v = serializers.FloatField()
    n = serializers.IntegerField()
    vw = serializers.FloatField()


AlpacaQuoteOutput = inline_serializer(
    name="AlpacaQuote",
    fields={
        "t": _time(),
        "ax": _text("Always empty: our quotes carry no exchange."),
        "ap": serializers.FloatField(),
        "as": serializers.IntegerField(help_text="Always 0: our quotes carry no size."),
        "bx": _text("Always empty."),
        "bp": serializers.FloatField(),
        "bs": serializers.IntegerField(help_text="Always 0."),
        "c": serializers.ListField(child=serializers.CharField()),
        "z": _text("Always empty."),
    },
).__class__


class AlpacaTradeOutput(serializers.Serializer):
    t = _time()
    x = _text("Always empty.")
    p = serializers.FloatField()
    s = serializers.IntegerField(help_text="Always 0.")
    c = serializers.ListField(child=serializers.CharField())
    i = serializers.IntegerField(help_text="Always 0.")
    z = _text("Always empty.")


class AlpacaBarsOutput(serializers.Serializer):
    bars = serializers.DictField(
        child=serializers.ListField(child=AlpacaBarOutput()), help_text="By symbol."
    )
    next_page_token = _nullable("null on the last page.")


class AlpacaSymbolBarsOutput(serializers.Serializer):
    bars = AlpacaBarOutput(many=True)
    symbol = serializers.CharField()
    next_page_token = _nullable("null on the last page.")


class AlpacaQuotesLatestOutput(serializers.Serializer):
    quotes = serializers.DictField(child=AlpacaQuoteOutput(), help_text="By symbol.")


class AlpacaTradesLatestOutput(serializers.Serializer):
    trades = serializers.DictField(child=AlpacaTradeOutput(), help_text="By symbol.")


class AlpacaSnapshotOutput(serializers.Serializer):
    latestTrade = AlpacaTradeOutput(allow_null=True)  # Alpaca's names
    latestQuote = AlpacaQuoteOutput(allow_null=True)
    minuteBar = AlpacaBarOutput(allow_null=True)
    dailyBar = AlpacaBarOutput(allow_null=True)
    prevDailyBar = AlpacaBarOutput(allow_null=True)


class AlpacaSnapshotsOutput(serializers.Serializer):
    """The snapshots keyed by symbol at the top level (documented by the extension below)."""


class _SnapshotsExtension(OpenApiSerializerExtension):
    target_class = AlpacaSnapshotsOutput

    def map_serializer(self, auto_schema, direction):
        snapshot = auto_schema.resolve_serializer(AlpacaSnapshotOutput, direction)
        return {"type": "object", "additionalProperties": snapshot.ref}
