"""The Alpaca-compatible API (docs/alpaca.md): thin views over `selectors`, `services` and
`market_data`, authenticated by an API key of one prop account.

Paths have no trailing slash (alpaca-py does not follow redirects); answers are Alpaca's
shapes and errors Alpaca's `{"code", "message"}` (`errors.alpaca_exception_handler`).
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from alpacabackend.api.errors import InvalidInput
from core.market import market_clock
from core.providers import get_provider
from prop_firm.alpaca_api import market_data, selectors, services, shapes
from prop_firm.alpaca_api.api import serializers as out
from prop_firm.alpaca_api.authentication import ApiKeyAuthentication, ApiKeyThrottle, HasApiKey
from prop_firm.alpaca_api.errors import AlpacaErrorOutput, alpaca_exception_handler

TAG = "Alpaca API"
MAX_CALENDAR_DAYS = 3700  # ten years of sessions per request
_NEW_YORK = ZoneInfo("America/New_York")


def _doc(operation_id: str, description: str, *, params=(), request=None, responses=None):
    """`responses` are the success answers' shapes (serializers.py); the error statuses are
    added by the schema's AutoSchema from `AlpacaView.error_codes`."""
    return extend_schema(
        operation_id=operation_id,
        tags=[TAG],
        description=description,
        parameters=[
            OpenApiParameter(name, OpenApiTypes.STR, description=text) for name, text in params
        ],
        request=request,
        responses=responses,
    )


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", code="INVALID_PARAMETER", errors={field: [message]})


def _datetime(params, name: str) -> datetime | None:
    """RFC 3339 or a date; a naive value is UTC (as alpaca-py sends it)."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise _invalid(name, "must be an RFC 3339 time or a date") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _date(params, name: str) -> date | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise _invalid(name, "must be a date (YYYY-MM-DD)") from None


def _int(params, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    # ASCII digits only, as everywhere in the API: int() would read "٥٠" or "1_0".
    if not (raw.isascii() and raw.lstrip("-").isdigit()):
        raise _invalid(name, "must be an integer")
    value = int(raw)
    if not low <= value <= high:
        raise _invalid(name, f"must be between {low} and {high}")
    return value


def _choice(params, name: str, choices: tuple, default: str | None) -> str | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise _invalid(name, f"must be one of {', '.join(choices)}")
    return value


def _activity_token(params) -> str | None:
    """`page_token` of the activities: an activity id this API gave (422 otherwise)."""
    token = (params.get("page_token") or "").strip()
    if not token:
        return None
    try:
        selectors.activity_token_time(token)
    except ValueError:
        raise _invalid("page_token", "must be the id of an activity (next page)") from None
    return token


def _flag(params, name: str) -> bool:
    return str(params.get(name, "")).strip().lower() in ("true", "1", "yes")


class AlpacaView(APIView):
    """An API key of one prop account; Alpaca's errors; one rate per key."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyThrottle]

    # The schema documents Alpaca's error shape and statuses: a refused order is 403, an
    # invalid one, an invalid query parameter or a state conflict 422 (never 409).
    error_output = AlpacaErrorOutput

    @staticmethod
    def error_codes(codes: set[str], method: str, *, has_query: bool = False) -> set[str]:
        codes = (codes - {"409"}) | {"401", "403", "404"}
        if has_query or method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.add("422")
        return codes

    def get_exception_handler(self):
        return alpaca_exception_handler

    @property
    def account(self):
        return self.request.auth.account


# --------------------------------------------------------------------------------------
# Account
# --------------------------------------------------------------------------------------


class AccountView(AlpacaView):
    @_doc(
        "alpaca_account",
        "The prop account as Alpaca's TradeAccount: cash is the balance, equity is marked to "
        "the latest quotes, last_equity is the start-of-day equity, buying_power the room the "
        "firm's leverage rule leaves; trading_blocked once the account is not ACTIVE or is at "
        "a loss floor.",
        responses={200: out.AlpacaAccountOutput},
    )
    def get(self, request):
        return Response(selectors.account_answer(account=self.account))


class AccountConfigurationsView(AlpacaView):
    @_doc(
        "alpaca_account_configurations",
        "Alpaca's AccountConfiguration (read only).",
        responses={200: out.AlpacaAccountConfigurationOutput},
    )
    def get(self, request):
        return Response(selectors.account_configuration(account=self.account))


class PortfolioHistoryView(AlpacaView):
    @_doc(
        "alpaca_portfolio_history",
        "The equity points of the account (the last of each day for timeframe 1D, of each "
        "hour otherwise); profit and loss against the starting balance.",
        params=[
            ("timeframe", "1D (default) or 1H (also 1Min, 5Min, 15Min: hourly points)."),
            ("start", "RFC 3339."),
            ("end", "RFC 3339."),
            ("period", "Accepted and ignored: every point is answered."),
        ],
        responses={200: out.AlpacaPortfolioHistoryOutput},
    )
    def get(self, request):
        params = request.query_params
        timeframe = params.get("timeframe") or "1D"
        if timeframe not in ("1Min", "5Min", "15Min", "1H", "1D"):
            raise _invalid("timeframe", "must be 1Min, 5Min, 15Min, 1H or 1D")
        history = selectors.portfolio_history(
            account=self.account,
            timeframe=timeframe,
            start=_datetime(params, "start"),
            end=_datetime(params, "end"),
        )
        return Response(history)


class ActivitiesView(AlpacaView):
    @_doc(
        "alpaca_account_activities",
        "Fills (entries and exits) and cash movements of the ledger (deposit CSD, payout CSW, "
        "commission and fees FEE, adjustment JNLC), newest first.",
        params=[
            ("activity_types", "Comma-separated, e.g. FILL,FEE."),
            ("after", "RFC 3339."),
            ("until", "RFC 3339."),
            ("direction", "desc (default) or asc."),
            ("page_size", "1 to 100 (default 100)."),
            ("page_token", "The id of the last activity of the previous page."),
        ],
        responses={200: out.ALPACA_ACTIVITY},
    )
    def get(self, request):
        params = request.query_params
        types = {
            t.strip().upper() for t in params.get("activity_types", "").split(",") if t.strip()
        }
        activities = selectors.activity_list(
            account=self.account,
            activity_types=types or None,
            after=_datetime(params, "after"),
            until=_datetime(params, "until"),
            direction=_choice(params, "direction", ("asc", "desc"), "desc"),
            page_size=_int(params, "page_size", 100, 1, 100),
            page_token=_activity_token(params),
        )
        return Response(activities)


class PropRulesView(AlpacaView):
    @_doc(
        "alpaca_prop_rules",
        "What a bot needs from the firm that Alpaca has no field for (our own shape, "
        "docs/alpaca.md): the loss floors and the room left above them, the profit target "
        "and the progress towards it, the status, and when the trading day resets.",
        responses={200: out.AlpacaPropRulesOutput},
    )
    def get(self, request):
        return Response(selectors.prop_rules(account=self.account))


# --------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------


class OrdersView(AlpacaView):
    @_doc(
        "alpaca_orders_list",
        "Orders, newest first.",
        params=[
            ("status", "open (default), closed or all."),
            ("limit", "1 to 500 (default 50)."),
            ("after", "Submitted after this time (RFC 3339)."),
            ("until", "Submitted before this time (RFC 3339)."),
            ("direction", "desc (default) or asc."),
            ("symbols", "Comma-separated."),
            ("side", "buy or sell."),
            ("nested", "Accepted: bracket exits always come as legs."),
        ],
        responses={200: out.AlpacaOrderOutput(many=True)},
    )
    def get(self, request):
        params = request.query_params
        symbols = [s for s in params.get("symbols", "").split(",") if s.strip()]
        orders = selectors.order_list(
            account=self.account,
            status=_choice(params, "status", ("open", "closed", "all"), "open"),
            limit=_int(params, "limit", 50, 1, 500),
            after=_datetime(params, "after"),
            until=_datetime(params, "until"),
            direction=_choice(params, "direction", ("asc", "desc"), "desc"),
            symbols=symbols or None,
            side=_choice(params, "side", ("buy", "sell"), None),
        )
        return Response(orders)

    @_doc(
        "alpaca_orders_create",
        "Places an order through the same service as the web app (the firm's rules, fills, "
        "ledger). Sides net against the position (a sell first closes longs). A retry with "
        "the same client_order_id returns the first order. The firm's refusals are 403, "
        "invalid orders 422.",
        request=OpenApiTypes.OBJECT,
        responses={200: out.AlpacaOrderOutput},
    )
    def post(self, request):
        order = services.order_request_parse(request.data)
        placed = services.order_submit(account=self.account, request=order, user=request.user)
        return Response(placed)

    @_doc(
        "alpaca_orders_cancel_all",
        "Cancels every open order (207, one answer per order).",
        responses={207: out.AlpacaCancelAnswerOutput(many=True)},
    )
    def delete(self, request):
        answers = services.orders_cancel_all(account=self.account, user=request.user)
        return Response(answers, status=status.HTTP_207_MULTI_STATUS)


class OrderDetailView(AlpacaView):
    @_doc("alpaca_orders_retrieve", "One order by id.", responses={200: out.AlpacaOrderOutput})
    def get(self, request, order_id: str):
        return Response(selectors.order_get(account=self.account, order_id=order_id))

    @_doc(
        "alpaca_orders_replace",
        "Changes an open order's limit_price or stop_price in place (same id); another qty "
        "or time_in_force is a 422: cancel and place a new order.",
        request=OpenApiTypes.OBJECT,
        responses={200: out.AlpacaOrderOutput},
    )
    def patch(self, request, order_id: str):
        order = services.order_replace(
            account=self.account, order_id=order_id, changes=request.data, user=request.user
        )
        return Response(order)

    @_doc("alpaca_orders_cancel", "Cancels an open order.", responses={204: None})
    def delete(self, request, order_id: str):
        services.order_cancel(account=self.account, order_id=order_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrderByClientIdView(AlpacaView):
    @_doc(
        "alpaca_orders_by_client_order_id",
        "One order by its client_order_id.",
        params=[("client_order_id", "The client_order_id.")],
        responses={200: out.AlpacaOrderOutput},
    )
    def get(self, request):
        client_order_id = request.query_params.get("client_order_id", "").strip()
        if not client_order_id:
            raise _invalid("client_order_id", "client_order_id is required")
        return Response(
            selectors.order_by_client_order_id(
                account=self.account, client_order_id=client_order_id
            )
        )


# --------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------


class PositionsView(AlpacaView):
    @_doc(
        "alpaca_positions_list",
        "Open positions, one per symbol (net).",
        responses={200: out.AlpacaPositionOutput(many=True)},
    )
    def get(self, request):
        positions = selectors.position_list(account=self.account)
        return Response([selectors.public(p) for p in positions])

    @_doc(
        "alpaca_positions_close_all",
        "Closes every position at market (207, one answer per position).",
        params=[("cancel_orders", "true: cancel the open orders first.")],
        responses={207: out.AlpacaCloseAnswerOutput(many=True)},
    )
    def delete(self, request):
        answers = services.positions_close_all(
            account=self.account,
            cancel_orders=_flag(request.query_params, "cancel_orders"),
            user=request.user,
        )
        return Response(answers, status=status.HTTP_207_MULTI_STATUS)


class PositionDetailView(AlpacaView):
    @_doc(
        "alpaca_positions_retrieve",
        "One position by symbol (BTCUSD for BTC/USD) or asset id.",
        responses={200: out.AlpacaPositionOutput},
    )
    def get(self, request, symbol: str):
        position = selectors.position_get(account=self.account, symbol_or_asset_id=symbol)
        return Response(selectors.public(position))

    @_doc(
        "alpaca_positions_close",
        "Closes the position at market: all of it, or qty shares, or percentage of it.",
        params=[("qty", "Shares to close."), ("percentage", "Percent of the position to close.")],
        responses={200: out.AlpacaOrderOutput},
    )
    def delete(self, request, symbol: str):
        order = services.position_close(
            account=self.account,
            symbol_or_asset_id=symbol,
            qty=request.query_params.get("qty"),
            percentage=request.query_params.get("percentage"),
            user=request.user,
        )
        return Response(order)


# --------------------------------------------------------------------------------------
# Assets, clock, calendar
# --------------------------------------------------------------------------------------


class AssetsView(AlpacaView):
    @_doc(
        "alpaca_assets_list",
        "The assets the firm lists.",
        params=[
            ("status", "active or inactive."),
            ("asset_class", "us_equity or crypto."),
            ("exchange", "e.g. NASDAQ."),
        ],
        responses={200: out.AlpacaAssetOutput(many=True)},
    )
    def get(self, request):
        params = request.query_params
        assets = selectors.asset_list(
            status=params.get("status"),
            asset_class=params.get("asset_class"),
            exchange=params.get("exchange"),
        )
        return Response([shapes.asset_shape(a) for a in assets])


class AssetDetailView(AlpacaView):
    @_doc(
        "alpaca_assets_retrieve",
        "One asset by symbol (BTCUSD for BTC/USD) or id.",
        responses={200: out.AlpacaAssetOutput},
    )
    def get(self, request, symbol: str):
        return Response(shapes.asset_shape(selectors.asset_get(symbol_or_asset_id=symbol)))


class ClockView(AlpacaView):
    @_doc("alpaca_clock", "The US equity market's clock.", responses={200: out.AlpacaClockOutput})
    def get(self, request):
        return Response(shapes.clock_shape(market_clock()))


class CalendarView(AlpacaView):
    @_doc(
        "alpaca_calendar",
        "The US equity market's sessions (open and close in New York time).",
        params=[("start", "A date (default today)."), ("end", "A date (default start + 1 year).")],
        responses={200: out.AlpacaCalendarDayOutput(many=True)},
    )
    def get(self, request):
        start = _date(request.query_params, "start") or datetime.now(_NEW_YORK).date()
        end = _date(request.query_params, "end") or start + timedelta(days=365)
        if end < start:
            raise _invalid("end", "must not be before start")
        if end - start > timedelta(days=MAX_CALENDAR_DAYS):
            raise _invalid("end", f"at most {MAX_CALENDAR_DAYS} days per request")
        sessions = get_provider().get_calendar(start, end)
        return Response([shapes.session_shape(s) for s in sessions])


# --------------------------------------------------------------------------------------
# Market data
# --------------------------------------------------------------------------------------

_BAR_PARAMS = [
    ("timeframe", "1Min, 5Min, 15Min, 30Min, 1Hour, 4Hour or 1Day."),
    ("start", "RFC 3339 (default: the beginning of the current day)."),
    ("end", "RFC 3339 (default: now)."),
    ("limit", "Bars per page over all symbols, 1 to 10000 (default 1000)."),
    ("page_token", "next_page_token of the previous page."),
    ("sort", "asc (default) or desc."),
]


def _bars(request, symbols: list[str]) -> dict:
    params = request.query_params
    return market_data.bars_get(
        symbols=symbols,
        timeframe=market_data.timeframe_parse(params.get("timeframe")),
        start=_datetime(params, "start"),
        end=_datetime(params, "end"),
        limit=_int(params, "limit", market_data.DEFAULT_LIMIT, 1, market_data.MAX_LIMIT),
        page_token=params.get("page_token") or None,
        sort=_choice(params, "sort", ("asc", "desc"), "asc"),
    )


class BarsView(AlpacaView):
    @_doc(
        "alpaca_stocks_bars",
        "Bars of several symbols.",
        params=[("symbols", "Comma-separated."), *_BAR_PARAMS],
        responses={200: out.AlpacaBarsOutput},
    )
    def get(self, request):
        return Response(
            _bars(request, market_data.symbols_parse(request.query_params.get("symbols")))
        )


class SymbolBarsView(AlpacaView):
    @_doc(
        "alpaca_stocks_symbol_bars",
        "Bars of one symbol.",
        params=_BAR_PARAMS,
        responses={200: out.AlpacaSymbolBarsOutput},
    )
    def get(self, request, symbol: str):
        answer = _bars(request, market_data.symbols_parse(symbol))
        bars = answer["bars"].get(symbol.upper(), [])
        return Response(
            {"bars": bars, "symbol": symbol.upper(), "next_page_token": answer["next_page_token"]}
        )


_SYMBOLS = [("symbols", "Comma-separated."), ("feed", "Accepted and ignored.")]


class QuotesLatestView(AlpacaView):
    @_doc(
        "alpaca_stocks_quotes_latest",
        "The latest quote of each symbol.",
        params=_SYMBOLS,
        responses={200: out.AlpacaQuotesLatestOutput},
    )
    def get(self, request):
        symbols = market_data.symbols_parse(request.query_params.get("symbols"))
        return Response(market_data.quotes_latest(symbols=symbols))


class TradesLatestView(AlpacaView):
    @_doc(
        "alpaca_stocks_trades_latest",
        "The latest trade price of each symbol.",
        params=_SYMBOLS,
        responses={200: out.AlpacaTradesLatestOutput},
    )
    def get(self, request):
        symbols = market_data.symbols_parse(request.query_params.get("symbols"))
        return Response(market_data.trades_latest(symbols=symbols))


class SnapshotsView(AlpacaView):
    @_doc(
        "alpaca_stocks_snapshots",
        "Latest trade and quote, minute bar, daily bar and previous daily bar per symbol.",
        params=_SYMBOLS,
        responses={200: out.AlpacaSnapshotsOutput},
    )
    def get(self, request):
        symbols = market_data.symbols_parse(request.query_params.get("symbols"))
        return Response(market_data.snapshots_get(symbols=symbols))
