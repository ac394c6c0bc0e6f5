"""Paper trading endpoints (API.md "paper_trading"): parse, call one service or selector, shape.

Every endpoint is scoped to the requesting trader: another trader's account or trade is a 404.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from alpacabackend.api.errors import InvalidInput
from alpacabackend.api.pagination import WrappedListPagination
from alpacabackend.api.responses import wrapped
from core.quotes import quotes_memo
from core.services.quotes import quotes_ensure_fresh
from paper_trading import selectors
from paper_trading.api import serializers as s
from paper_trading.models import TradeStatus
from paper_trading.services import trades as trade_services

_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A retried request with the same key returns the first result.",
)


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 128:
        raise InvalidInput(
            "Idempotency-Key: Use at most 128 characters.", code="INVALID_IDEMPOTENCY_KEY"
        )
    return key or None


def _quotes_for(trades) -> dict:
    """Current quotes of the open trades' symbols: one cache read, no query; the provider is
    asked only for a symbol whose cached quote is missing or stale (no poll running)."""
    symbols = {t.asset.symbol for t in trades if t.status == TradeStatus.OPEN}
    return quotes_ensure_fresh(symbols)  # none: no cache read


def _trade_data(trade) -> dict:
    return s.trade_output(trade, _quotes_for([trade]))


def _order_msg(order) -> str:
    trade = order.trade
    if order.closed:
        closed = sum(t.quantity for t in order.closed).normalize()
        msg = f"Order filled: {closed:f} {trade.asset.symbol} {trade.direction.lower()} closed."
        opened = order.opened
        if opened is not None and opened.status == TradeStatus.OPEN:
            msg += f" {opened.quantity.normalize():f} {opened.direction.lower()} opened."
        return msg
    if trade.status == TradeStatus.OPEN:
        return "Order filled."
    if trade.status == TradeStatus.PENDING:
        return "Order placed."
    return f"Order already {trade.status.lower()}."


class TradeListPagination(WrappedListPagination):
    """The web app asks for the trades without paging and reads the open trades (it sums
    their P&L), the pending orders and the latest finished trades: unpaged, it gets the live
    trades and the newest finished ones up to this bound, not a thousand rows (issue 13: the
    list stays within twice the cost of a trivial request). Paged calls keep their limits."""

    msg = "Trades retrieved."
    unpaged_max = 50


class TradeListCreateView(APIView):
    @extend_schema(
        operation_id="paper_trading_trades_list",
        parameters=[
            s.TradeListQuery,
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size (with offset)."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="First result's index."),
            OpenApiParameter("page", OpenApiTypes.INT, description="Page number."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Page size."),
        ],
        responses={200: s.TradeListEnvelope},
        description="The trades of the account shown (without `account_id`), newest first "
        "when paged. Without `limit`, `offset`, `page` or `page_size` the list is bounded: "
        "`data` holds at most 50 trades, the open trades and pending orders first (newest "
        "first), then the newest finished ones; `count` is the number of all matching trades "
        "and `next` the paged list from the first trade left out (it may repeat live trades). "
        "With more than 50 open trades and pending orders, `data` holds the newest 50 of them "
        "and `next` pages through every trade from the start.",
    )
    def get(self, request):
        query = s.TradeListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scope = selectors.trade_scope(
            user=request.user,
            account_id=params.get("account_id"),
            all_accounts=params["all"],
            status=params.get("status"),
            asset=params.get("asset"),
            symbol=params.get("symbol"),
        )
        paginator = TradeListPagination()
        if paginator.is_paged(request):
            trades = selectors.trades_in(scope).values(*s.TRADE_ROW_FIELDS)
            rows = paginator.paginate_queryset(trades, request, self)
        else:
            page = selectors.trades_live_first(
                scope, fields=s.TRADE_ROW_FIELDS, limit=paginator.unpaged_max
            )
            paginator.unpaged_page(request, count=page.count, rest_offset=page.rest_offset)
            rows = page.rows
        symbols = {row["asset__symbol"] for row in rows if row["status"] == TradeStatus.OPEN}
        quotes = quotes_ensure_fresh(symbols)
        return paginator.get_paginated_response(s.trade_rows_output(rows, quotes))

    @extend_schema(
        operation_id="paper_trading_trades_create",
        request=s.TradePlaceInput,
        parameters=[_IDEMPOTENCY_KEY],
        responses={201: s.OrderEnvelope},
        description="Places an order (API.md). In the `side` format an order opposite to the "
        "open trades of its symbol closes them first, oldest first, and only the rest opens: "
        "`data` is then the last trade it closed, with `closed_trade_ids` and "
        "`opened_trade_id`. The `direction` format always opens a new trade.",
    )
    def post(self, request):
        payload = s.TradePlaceInput(data=request.data)
        payload.is_valid(raise_exception=True)
        order = payload.validated_data
        # Checked (404, NO_ACTIVE_ACCOUNT) as the order locks it: one read of the account.
        account = selectors.account_for_trading(
            user=request.user, account_id=order.get("account_id")
        )
        asset = selectors.asset_for_order(asset=order.get("asset"), symbol=order.get("symbol"))
        # The answer values the trade at the quote the order filled at: no second read.
        with quotes_memo():
            placed = trade_services.order_place(
                account=account,
                asset=asset,
                direction=order["direction"],
                quantity=order["quantity"],
                order_type=order["order_type"],
                time_in_force=order["time_in_force"],
                limit_price=order.get("limit_price"),
                stop_price=order.get("stop_price"),
                stop_loss=order.get("stop_loss"),
                take_profit=order.get("take_profit"),
                notes=order["notes"],
                client_order_id=order["client_order_id"],
                idempotency_key=_idempotency_key(request),
                position_effect=order["position_effect"],
                user=request.user,
            )
            data = s.order_output(placed, _quotes_for([placed.trade]))
        return wrapped(data, _order_msg(placed), status=status.HTTP_201_CREATED)


class TradeDetailView(APIView):
    @extend_schema(operation_id="paper_trading_trades_retrieve", responses={200: s.TradeEnvelope})
    def get(self, request, trade_id: int):
        trade = selectors.trade_get(user=request.user, trade_id=trade_id)
        return wrapped(_trade_data(trade), "Trade retrieved.")

    @extend_schema(
        operation_id="paper_trading_trades_update",
        request=s.TradeUpdateInput,
        responses={200: s.TradeEnvelope},
    )
    def patch(self, request, trade_id: int):
        trade = selectors.trade_get(user=request.user, trade_id=trade_id)
        payload = s.TradeUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        trade = trade_services.trade_update(
            trade=trade, changes=payload.validated_data, user=request.user
        )
        return wrapped(_trade_data(trade), "Trade updated.")

    @extend_schema(
        operation_id="paper_trading_trades_destroy",
        responses={204: None},
        description='The web app\'s "Remove". A pending order is cancelled. A finished trade '
        "(closed, cancelled, rejected, expired) is hidden from your own trade lists: it is "
        "never deleted, and its ledger entries and the statistics are unchanged. An open "
        "trade answers 409 TRADE_OPEN: close it first.",
    )
    def delete(self, request, trade_id: int):
        trade = selectors.trade_get(user=request.user, trade_id=trade_id)
        trade_services.trade_remove(trade=trade, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TradeCloseView(APIView):
    @extend_schema(
        operation_id="paper_trading_trades_close",
        request=s.TradeCloseInput,
        parameters=[_IDEMPOTENCY_KEY],
        responses={200: s.TradeEnvelope},
    )
    def post(self, request, trade_id: int):
        trade = selectors.trade_get(user=request.user, trade_id=trade_id)
        payload = s.TradeCloseInput(data=request.data)
        payload.is_valid(raise_exception=True)
        closed = trade_services.trade_close(
            trade=trade,
            quantity=payload.validated_data.get("quantity"),
            notes=payload.validated_data["notes"],
            user=request.user,
            idempotency_key=_idempotency_key(request),
        )
        msg = "Trade closed." if closed.pk == trade.pk else "Trade partially closed."
        return wrapped(_trade_data(closed), msg)


class TradeCancelView(APIView):
    @extend_schema(
        operation_id="paper_trading_trades_cancel",
        request=s.TradeCancelInput,
        parameters=[_IDEMPOTENCY_KEY],
        responses={200: s.TradeEnvelope},
        description='The web app\'s "Cancel". A pending order is cancelled. An OPEN trade is '
        "closed at the market exactly as `close/` closes it (the whole position; P&L realised "
        "once) and the closed trade is returned. Any other status answers 409.",
    )
    def post(self, request, trade_id: int):
        trade = selectors.trade_get(user=request.user, trade_id=trade_id)
        payload = s.TradeCancelInput(data=request.data)
        payload.is_valid(raise_exception=True)
        was_open = trade.status == TradeStatus.OPEN
        trade = trade_services.trade_cancel_or_close(
            trade=trade,
            notes=payload.validated_data["notes"],
            user=request.user,
            idempotency_key=_idempotency_key(request),
        )
        return wrapped(_trade_data(trade), "Trade closed." if was_open else "Order cancelled.")


class PositionListView(APIView):
    @extend_schema(
        operation_id="paper_trading_positions_list",
        parameters=[s.AccountQuery],
        responses={200: s.PositionListEnvelope},
    )
    def get(self, request):
        query = s.AccountQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        account_id = query.validated_data.get("account_id")
        if account_id is not None:
            account = selectors.account_get(user=request.user, account_id=account_id)
        else:
            account = selectors.account_current(user=request.user)
        positions = (
            selectors.account_positions(account=account, ask_provider=True) if account else []
        )
        data = s.PositionOutput(positions, many=True).data
        return wrapped(data, "Positions retrieved.")
