"""Reads of the Alpaca API: the account, its orders, positions, activities and history.

Orders are rebuilt from the account's trades in one query: a trade row that was not split
off another is an order; the trades a reducing order closed carry its client_order_id
(`closing_client_order_id`), so an order that only closed positions (whose row is deleted
when it fills) is rebuilt from them.
"""

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

from django.db.models import Exists, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Upper

from alpacabackend.api.errors import NotFound
from alpacabackend.money import to_cents
from core.models import Asset
from core.quotes import quotes_get
from paper_trading.models import Direction, LedgerEntry, LedgerKind, Trade, TradeStatus
from paper_trading.selectors import account_positions
from paper_trading.services import fills
from prop_firm.alpaca_api import shapes
from prop_firm.models import AccountStatus, PropFirmAccount
from prop_firm.selectors import account_detail, account_equity_curve
from prop_firm.services.rule_engine import account_evaluate, account_quotes_refresh
from prop_firm.services.stages import account_rules

_ZERO = Decimal(0)


# --------------------------------------------------------------------------------------
# Account
# --------------------------------------------------------------------------------------


def account_answer(*, account: PropFirmAccount) -> dict:
    """GET /v2/account: B as cash, E (marked to the latest quotes) as equity, SOD_E as
    last_equity, and the room the firm's BUYING_POWER rule leaves as buying_power."""
    account_quotes_refresh(account=account)
    evaluation, snapshot = account_evaluate(account=account)
    state = snapshot.state
    prices = quotes_get(sorted(snapshot.symbols)) if snapshot.symbols else {}
    long_value = short_value = _ZERO
    for position in state.positions:
        price = fills.liquidation_price(position.direction, prices.get(position.symbol))
        value = position.quantity * (price or position.entry_price)
        if position.direction == Direction.LONG:
            long_value += value
        else:
            short_value -= value
    equity = evaluation.equity
    leverage = account_rules(account).max_leverage
    tradable = account.status == AccountStatus.ACTIVE and evaluation.can_trade
    exposure = long_value - short_value + state.pending_order_notional
    buying_power = max(leverage * equity - exposure, _ZERO) if tradable else _ZERO
    return {
        "id": str(shapes.account_uuid(account)),
        "account_number": account.account_number,
        "status": shapes.ACCOUNT_STATUS.get(account.status, "INACTIVE"),
        "crypto_status": shapes.ACCOUNT_STATUS.get(account.status, "INACTIVE"),
        "currency": account.plan.currency.upper(),
        "buying_power": shapes.money(buying_power),
        "regt_buying_power": shapes.money(buying_power),
        "daytrading_buying_power": shapes.money(buying_power),
        "non_marginable_buying_power": shapes.money(buying_power),
        "options_buying_power": "0",
        "cash": shapes.money(account.current_balance),
        "accrued_fees": "0",
        "pending_transfer_out": "0",
        "pending_transfer_in": "0",
        "portfolio_value": shapes.money(equity),
        "equity": shapes.money(equity),
        "last_equity": shapes.money(account.sod_equity),
        "long_market_value": shapes.money(long_value),
        "short_market_value": shapes.money(short_value),
        "initial_margin": shapes.money(long_value - short_value),
        "maintenance_margin": shapes.money(long_value - short_value),
        "last_maintenance_margin": "0",
        "sma": "0",
        "multiplier": shapes.number(leverage),
        "pattern_day_trader": False,
        "daytrade_count": 0,
        "shorting_enabled": True,
        "trading_blocked": not tradable,
        "transfers_blocked": True,
        "account_blocked": False,
        "trade_suspended_by_user": False,
        "created_at": shapes.iso(account.created_at),
        "options_approved_level": 0,
        "options_trading_level": 0,
    }


def account_configuration(*, account: PropFirmAccount) -> dict:
    return {
        "dtbp_check": "entry",
        "fractional_trading": True,
        "max_margin_multiplier": shapes.number(account_rules(account).max_leverage),
        "no_shorting": False,
        "pdt_check": "entry",
        "suspend_trade": account.status != AccountStatus.ACTIVE,
        "trade_confirm_email": "none",
        "ptp_no_exception_entry": False,
        "max_options_trading_level": 0,
    }


def portfolio_history(
    *,
    account: PropFirmAccount,
    timeframe: str,
    start: datetime | None,
    end: datetime | None,
) -> dict:
    """The equity points (the last of each day for 1D, of each hour otherwise), profit and
    loss measured from the account's starting balance."""
    interval = "day" if timeframe == "1D" else "hour"
    points = account_equity_curve(account=account, interval=interval)
    points = [
        p
        for p in points
        if (start is None or p["time"] >= start) and (end is None or p["time"] <= end)
    ]
    base = account.starting_balance
    return {
        "timestamp": [int(p["time"].timestamp()) for p in points],
        "equity": [float(to_cents(p["equity"])) for p in points],
        "profit_loss": [float(to_cents(p["equity"] - base)) for p in points],
        "profit_loss_pct": [
            float(((p["equity"] - base) / base).quantize(Decimal("0.000001"))) if base else None
            for p in points
        ],
        "base_value": float(base),
        "timeframe": timeframe,
        "cashflow": {},
    }


def prop_rules(*, account: PropFirmAccount) -> dict:
    """GET /v2/prop/rules (our own shape, docs/alpaca.md): the account detail's floors, room,
    objectives and next reset, as a bot needs them."""
    detail = account_detail(account=account)
    target = next((o for o in detail["objectives"] if o["rule"] == "PROFIT_TARGET"), None)
    tradable = account.status == AccountStatus.ACTIVE and detail["can_trade"]
    return {
        "account_number": account.account_number,
        "status": account.status,
        "stage": account.stage,
        "phase": account.phase,
        "can_trade": tradable,
        "trading_blocked": not tradable,
        "starting_balance": shapes.money(account.starting_balance),
        "balance": shapes.money(account.current_balance),
        "equity": shapes.money(detail["equity"]),
        "daily_loss_floor": shapes.money(detail["daily_loss_floor"]),
        "daily_loss_room": shapes.money(detail["daily_loss_room"]),
        "max_loss_floor": shapes.money(detail["max_loss_floor"]),
        "max_loss_room": shapes.money(detail["max_loss_room"]),
        "profit_target": target["target"] if target else None,
        "profit_progress": target["current"] if target else None,
        "profit_target_met": target["met"] if target else None,
        "objectives": detail["objectives"],
        "next_reset_at": shapes.iso(detail["next_reset_at"]),
        "prices_stale": detail["prices_stale"],
    }


# --------------------------------------------------------------------------------------
# Assets
# --------------------------------------------------------------------------------------


def asset_list(
    *, status: str | None = None, asset_class: str | None = None, exchange: str | None = None
) -> QuerySet[Asset]:
    assets = Asset.objects.order_by("symbol", "id")
    if status:
        assets = assets.filter(status=status.lower())
    if asset_class:
        assets = assets.filter(asset_class=asset_class.lower())
    if exchange:
        assets = assets.filter(exchange__iexact=exchange)
    return assets


def asset_get(*, symbol_or_asset_id: str) -> Asset:
    """By symbol (BTCUSD finds BTC/USD, as Alpaca names crypto pairs) or by our asset id."""
    wanted = symbol_or_asset_id.strip().upper()[:64]
    candidates = {wanted}
    if len(wanted) > 3 and "/" not in wanted:
        candidates.add(f"{wanted[:-3]}/{wanted[-3:]}")
    for asset in Asset.objects.filter(symbol__in=candidates).order_by("status", "asset_class"):
        return asset
    for asset in Asset.objects.filter(provider_id__iexact=wanted):
        return asset
    try:
        uuid.UUID(wanted)
    except ValueError:
        raise NotFound("asset not found", code="ASSET_NOT_FOUND") from None
    # An id we derived from the symbol (assets not from Alpaca): only a UUID can be one, so
    # an unknown symbol never walks the asset table.
    for asset in Asset.objects.order_by("id"):
        if str(shapes.asset_uuid(asset)).upper() == wanted:
            return asset
    raise NotFound("asset not found", code="ASSET_NOT_FOUND")


# --------------------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------------------


class _AccountOrders:
    """Trades of one account grouped the way orders are rebuilt from them: the pieces split
    off each order (by later partial closes) and the trades each reducing order closed."""

    def __init__(self, account: PropFirmAccount, trades):
        self.account = account
        self.trades = list(trades)
        self.split_quantity: dict[int, Decimal] = defaultdict(lambda: _ZERO)
        self.closes: dict[str, list[Trade]] = defaultdict(list)
        for trade in self.trades:
            if trade.split_from_id is not None:
                self.split_quantity[trade.split_from_id] += trade.quantity
            if trade.closing_client_order_id:
                self.closes[trade.closing_client_order_id].append(trade)
        self.rows = [t for t in self.trades if t.split_from_id is None]
        with_row = {t.client_order_id for t in self.rows if t.client_order_id}
        self.closing_only = [coid for coid in self.closes if coid not in with_row]

    @classmethod
    def around(cls, account: PropFirmAccount, row: Trade) -> "_AccountOrders":
        """Just what one order row needs: itself, its split pieces, the trades it closed."""
        related = Q(split_from=row)
        if row.client_order_id:
            related |= Q(closing_client_order_id=row.client_order_id)
        others = Trade.objects.filter(related, account=account).select_related("asset")
        return cls(account, [row, *others])

    def shape(self, trade: Trade) -> dict:
        closes = self.closes.get(trade.client_order_id, []) if trade.client_order_id else []
        return shapes.order_shape(
            trade, closes=closes, split_quantity=self.split_quantity.get(trade.pk, _ZERO)
        )

    def closing_shape(self, client_order_id: str) -> dict:
        return shapes.closing_order_shape(
            account_id=self.account.pk,
            client_order_id=client_order_id,
            closes=self.closes[client_order_id],
        )

    def summaries(self):
        """(submitted_at, status, symbol, side, build) per order: enough to filter and sort
        before the few answered are shaped."""
        for trade in self.rows:
            yield (
                trade.created_at,
                shapes.ORDER_STATUS[trade.status],
                trade.asset.symbol,
                shapes.side_of(trade.direction),
                lambda trade=trade: self.shape(trade),
            )
        for coid in self.closing_only:
            closes = self.closes[coid]
            yield (
                min(t.exit_at for t in closes),
                "filled",
                closes[0].asset.symbol,
                shapes.opposite_side(closes[0].direction),
                lambda coid=coid: self.closing_shape(coid),
            )


# The trade statuses whose order Alpaca counts as open (`status=open`), and the order side
# each direction is (an order's row carries the direction it was placed in).
_OPEN_TRADE_STATUSES = [
    s for s, a in shapes.ORDER_STATUS.items() if a in shapes.OPEN_ORDER_STATUSES
]
_DIRECTION_OF_SIDE = {shapes.side_of(d): d for d in Direction.values}


def order_list(
    *,
    account: PropFirmAccount,
    status: str = "open",
    limit: int = 50,
    after: datetime | None = None,
    until: datetime | None = None,
    direction: str = "desc",
    symbols: list[str] | None = None,
    side: str | None = None,
) -> list[dict]:
    """GET /v2/orders: Alpaca's filters (status open|closed|all, submitted after/until,
    symbols, side), newest first unless direction=asc, at most `limit`.

    Read per page, whatever the account's history: the order rows (trades not split off
    another) in submitted order with the filters in SQL, and, unless only open orders are
    asked for, the orders that only closed positions (no row of their own: grouped by the
    closed trades' `closing_client_order_id`, submitted at their first exit), each at most
    `limit`; then the split pieces and closed trades of just the orders answered. Equal
    submission times keep rows before closing-only orders, each in id order."""
    newest_first = direction != "asc"
    wanted = sorted({s.strip().upper() for s in symbols or []})
    rows = Trade.objects.filter(account=account, split_from__isnull=True)
    if status == "open":
        rows = rows.filter(status__in=_OPEN_TRADE_STATUSES)
    elif status == "closed":
        rows = rows.exclude(status__in=_OPEN_TRADE_STATUSES)
    if after is not None:
        rows = rows.filter(created_at__gt=after)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    if wanted:
        rows = rows.annotate(symbol_upper=Upper("asset__symbol")).filter(symbol_upper__in=wanted)
    if side:
        rows = rows.filter(direction=_DIRECTION_OF_SIDE[side])
    submitted = "-created_at" if newest_first else "created_at"
    chosen: list[tuple[datetime, int, object]] = [
        (row.created_at, 0, row)
        for row in rows.select_related("asset").order_by(submitted, "id")[:limit]
    ]
    if status != "open":
        chosen += [(at, 1, coid) for at, coid in _closing_only_orders(
            account, after=after, until=until, symbols=wanted, side=side,
            newest_first=newest_first, limit=limit,
        )]  # fmt: skip
    # Stable sorts: the submission time decides, then rows before closing-only orders.
    chosen.sort(key=lambda item: item[1])
    chosen.sort(key=lambda item: item[0], reverse=newest_first)
    chosen = chosen[:limit]
    answered_rows = [item for _, kind, item in chosen if kind == 0]
    coids = {row.client_order_id for row in answered_rows if row.client_order_id}
    coids |= {item for _, kind, item in chosen if kind == 1}
    related = Q(split_from__in=[row.pk for row in answered_rows])
    if coids:
        related |= Q(closing_client_order_id__in=coids)
    others = Trade.objects.filter(related, account=account).select_related("asset").order_by("id")
    held = {row.pk: row for row in answered_rows}
    held.update({trade.pk: trade for trade in others if trade.pk not in held})
    orders = _AccountOrders(account, [held[pk] for pk in sorted(held)])  # in id order, as ever
    return [
        orders.shape(item) if kind == 0 else orders.closing_shape(item) for _, kind, item in chosen
    ]


def _closing_only_orders(
    account, *, after, until, symbols, side, newest_first: bool, limit: int
) -> list[tuple[datetime, str]]:
    """(submitted, client_order_id) of the orders that only closed positions: their trades'
    `closing_client_order_id` names no order row of the account. An order's closed trades
    share its symbol and their direction (the one it reduced)."""
    has_row = Trade.objects.filter(
        account=account,
        split_from__isnull=True,
        client_order_id=OuterRef("closing_client_order_id"),
    )
    groups = (
        Trade.objects.filter(account=account, closing_client_order_id__isnull=False)
        .exclude(Exists(has_row))
        .values("closing_client_order_id")
        .annotate(
            submitted=Min("exit_at"),
            symbol=Min(Upper("asset__symbol")),
            reduced=Min("direction"),
        )
    )
    if after is not None:
        groups = groups.filter(submitted__gt=after)
    if until is not None:
        groups = groups.filter(submitted__lt=until)
    if symbols:
        groups = groups.filter(symbol__in=symbols)
    if side:
        # A closing order's side is opposite to the direction of what it closed.
        groups = groups.exclude(reduced=_DIRECTION_OF_SIDE[side])
    order = ("-submitted" if newest_first else "submitted", "closing_client_order_id")
    return [
        (group["submitted"], group["closing_client_order_id"])
        for group in groups.order_by(*order)[:limit]
    ]


def order_row(*, account: PropFirmAccount, order_id: str) -> Trade | None:
    """The trade row of an order of this account (None: unknown, or an order that only
    closed positions, which has no row)."""
    try:
        wanted = uuid.UUID(str(order_id))
    except ValueError:
        return None
    return (
        Trade.objects.select_related("asset", "account")
        .filter(account=account, uuid=wanted, split_from__isnull=True)
        .first()
    )


def _not_found() -> NotFound:
    return NotFound("order not found", code="ORDER_NOT_FOUND")


def order_get(*, account: PropFirmAccount, order_id: str) -> dict:
    """One order by id: its row (an indexed lookup), else an order that only closed
    positions, whose id is derived from its client_order_id."""
    try:
        wanted = uuid.UUID(str(order_id))
    except ValueError:
        raise _not_found() from None
    row = order_row(account=account, order_id=str(wanted))
    if row is not None:
        return _AccountOrders.around(account, row).shape(row)
    closing_ids = (
        Trade.objects.filter(account=account, closing_client_order_id__isnull=False)
        .values_list("closing_client_order_id", flat=True)
        .distinct()
    )
    for coid in closing_ids:
        if shapes.order_uuid(account.pk, coid) == wanted:
            return order_by_client_order_id(account=account, client_order_id=coid)
    raise _not_found()


def order_by_client_order_id(*, account: PropFirmAccount, client_order_id: str) -> dict:
    row = (
        Trade.objects.select_related("asset")
        .filter(account=account, client_order_id=client_order_id, split_from__isnull=True)
        .first()
    )
    if row is not None:
        return _AccountOrders.around(account, row).shape(row)
    closes = Trade.objects.filter(
        account=account, closing_client_order_id=client_order_id
    ).select_related("asset")
    orders = _AccountOrders(account, closes)
    if client_order_id in orders.closing_only:
        return orders.closing_shape(client_order_id)
    raise _not_found()


# --------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------


def position_list(*, account: PropFirmAccount) -> list[dict]:
    """Open trades netted per symbol (Alpaca holds one position per symbol): the larger side
    less the smaller; valued at the liquidation price; unrealised P&L net of commissions."""
    per_side = account_positions(account=account)
    if not per_side:
        return []
    assets = {a.pk: a for a in Asset.objects.filter(pk__in={p.asset for p in per_side})}
    by_symbol: dict[str, list] = defaultdict(list)
    for position in per_side:
        by_symbol[position.symbol].append(position)
    answer = []
    for symbol, sides in sorted(by_symbol.items()):
        main = max(sides, key=lambda p: p.quantity)
        other = sum((p.quantity for p in sides if p is not main), _ZERO)
        quantity = main.quantity - other
        if quantity <= 0:
            continue
        sign = 1 if main.direction == Direction.LONG else -1
        cost = quantity * main.avg_entry_price
        price = main.current_price
        value = None if price is None else to_cents(quantity * price)
        unrealized = None
        if all(p.unrealized_pl is not None for p in sides):
            unrealized = sum((p.unrealized_pl for p in sides), _ZERO)
        asset = assets[main.asset]
        answer.append(
            {
                "asset_id": str(shapes.asset_uuid(asset)),
                "symbol": symbol,
                "exchange": shapes.exchange_of(asset),
                "asset_class": asset.asset_class,
                "asset_marginable": asset.marginable,
                "avg_entry_price": shapes.number(main.avg_entry_price),
                "qty": shapes.number(sign * quantity),
                "qty_available": shapes.number(sign * quantity),
                "side": "long" if sign > 0 else "short",
                "market_value": shapes.money(None if value is None else sign * value),
                "cost_basis": shapes.money(sign * cost),
                "unrealized_pl": shapes.money(unrealized),
                "unrealized_plpc": (
                    None
                    if unrealized is None or not cost
                    else shapes.number((unrealized / cost).quantize(Decimal("0.000001")))
                ),
                "unrealized_intraday_pl": None,
                "unrealized_intraday_plpc": None,
                "current_price": shapes.number(price),
                "lastday_price": None,
                "change_today": None,
                # What a close may use; the quantity and direction a close order needs.
                "_quantity": quantity,
                "_direction": main.direction,
            }
        )
    return answer


def _symbol_key(symbol: str) -> str:
    return symbol.replace("/", "").upper()


def position_get(*, account: PropFirmAccount, symbol_or_asset_id: str) -> dict:
    """One position by symbol (BTCUSD finds BTC/USD) or asset id; 404 when none is open."""
    wanted = symbol_or_asset_id.strip()
    for position in position_list(account=account):
        if _symbol_key(position["symbol"]) == _symbol_key(wanted) or (
            position["asset_id"] == wanted.lower()
        ):
            return position
    raise NotFound("position does not exist", code="POSITION_NOT_FOUND")


def public(position: dict) -> dict:
    """A position without the private fields the close service reads."""
    return {k: v for k, v in position.items() if not k.startswith("_")}


# --------------------------------------------------------------------------------------
# Activities
# --------------------------------------------------------------------------------------

_NON_TRADE = {
    LedgerKind.DEPOSIT: "CSD",
    LedgerKind.PAYOUT: "CSW",
    LedgerKind.PAYOUT_REVERSAL: "CSD",
    LedgerKind.FEE: "FEE",
    LedgerKind.COMMISSION: "FEE",
    LedgerKind.ADJUSTMENT: "JNLC",
}


ACTIVITY_ID_TIME = "%Y%m%d%H%M%S%f"  # an activity id: this (UTC), "::", its reference


def activity_token_time(page_token: str) -> datetime:
    """When the activity a page token names happened (ValueError: not an activity id)."""
    stamp, separator, reference = page_token.partition("::")
    if not (separator and reference and len(stamp) == 20 and stamp.isascii() and stamp.isdigit()):
        raise ValueError(page_token)
    return datetime.strptime(stamp, ACTIVITY_ID_TIME).replace(tzinfo=UTC)


def _activity_window(rows: QuerySet, at: str, *, after, until, token_at, newest_first, size):
    """The rows of one source of activities a page can hold, whatever the history: those
    after `after` and before `until`, at the page token's instant (the token itself decides
    among them) and up to `size` beyond it in the page's direction, completed by every row
    at the instant of the last one (ids at one instant are ordered by their reference)."""
    if after is not None:
        rows = rows.filter(**{f"{at}__gt": after})
    if until is not None:
        rows = rows.filter(**{f"{at}__lt": until})
    found = []
    if token_at is not None:
        found += rows.filter(**{at: token_at})
        rows = rows.filter(**{f"{at}__lt" if newest_first else f"{at}__gt": token_at})
    page = list(rows.order_by(f"-{at}" if newest_first else at, "pk")[:size])
    found += page
    if len(page) == size:
        shown = {row.pk for row in page}
        found += [row for row in rows.filter(**{at: getattr(page[-1], at)}) if row.pk not in shown]
    return found


def activity_list(
    *,
    account: PropFirmAccount,
    activity_types: set[str] | None = None,
    after: datetime | None = None,
    until: datetime | None = None,
    direction: str = "desc",
    page_size: int = 100,
    page_token: str | None = None,
) -> list[dict]:
    """GET /v2/account/activities: every fill (entries and exits, from the trades the ledger
    entries explain) and every cash movement of the ledger other than realised P&L (which
    Alpaca shows through the fills), ordered by id (time, then reference), after the page
    token (`activity_token_time` checks it).

    Read per page, whatever the account's history: from each source (entry fills, exit
    fills, cash movements) the rows the page can hold (`_activity_window`), then what those
    fills need (split pieces, the orders that closed them); the page is chosen from them."""
    newest_first = direction != "asc"
    window = partial(
        _activity_window,
        after=after,
        until=until,
        token_at=activity_token_time(page_token) if page_token else None,
        newest_first=newest_first,
        size=page_size,
    )
    account_id = str(shapes.account_uuid(account))
    trades = Trade.objects.filter(account=account).select_related("asset")
    fills_wanted = not activity_types or "FILL" in activity_types
    entries = exits = []
    if fills_wanted:
        entries = window(trades.filter(entry_at__isnull=False, split_from__isnull=True), "entry_at")
        exits = window(trades.filter(status=TradeStatus.CLOSED, exit_at__isnull=False), "exit_at")
    split_quantity = dict(
        Trade.objects.filter(split_from__in=[t.pk for t in entries])
        .values("split_from")
        .annotate(quantity=Sum("quantity"))
        .values_list("split_from", "quantity")
    ) if entries else {}  # fmt: skip
    # The order an exit fill belongs to: the reducing order that closed it (its row, or the
    # id derived from its client_order_id when it only closed), else the trade's own order.
    closing_ids = {t.closing_client_order_id for t in exits if t.closing_client_order_id}
    roots = {t.split_from_id for t in exits if t.split_from_id and not t.closing_client_order_id}
    order_rows = Trade.objects.filter(account=account, split_from__isnull=True).filter(
        Q(client_order_id__in=closing_ids) | Q(pk__in=roots)
    ).values_list("pk", "client_order_id", "uuid") if closing_ids or roots else []  # fmt: skip
    by_coid, root_uuid = {}, {}
    for pk, client_order_id, order_uuid in order_rows:
        root_uuid[pk] = order_uuid
        if client_order_id:
            by_coid[client_order_id] = order_uuid

    def fill(*, trade: Trade, quantity, at, price, side: str, order_id) -> dict:
        return {
            "activity_type": "FILL",
            "transaction_time": shapes.iso(at),
            "type": "fill",
            "price": shapes.number(price),
            "qty": shapes.number(quantity),
            "side": side,
            "symbol": trade.asset.symbol,
            "leaves_qty": "0",
            "order_id": str(order_id),
            "cum_qty": shapes.number(quantity),
            "order_status": "filled",
        }

    # (when, reference, how to build its body): the page is chosen first, so only the
    # activities answered are shaped.
    items: list[tuple[datetime, str, object]] = []
    for trade in entries:
        build = partial(
            fill,
            trade=trade,
            quantity=trade.quantity + split_quantity.get(trade.pk, _ZERO),
            at=trade.entry_at,
            price=trade.entry_price,
            side=shapes.side_of(trade.direction),
            order_id=trade.uuid,
        )  # one entry fill per order: the pieces split off later were part of it
        items.append((trade.entry_at, f"{trade.uuid}:entry", build))
    for trade in exits:
        coid = trade.closing_client_order_id
        if coid and coid in by_coid:
            order_id = by_coid[coid]
        elif coid:
            order_id = shapes.order_uuid(account.pk, coid)
        else:  # closed by the web app, a bracket or a liquidation: the trade's own order
            order_id = root_uuid.get(trade.split_from_id, trade.uuid)
        build = partial(
            fill,
            trade=trade,
            quantity=trade.quantity,
            at=trade.exit_at,
            price=trade.exit_price,
            side=shapes.opposite_side(trade.direction),
            order_id=order_id,
        )
        items.append((trade.exit_at, f"{trade.uuid}:exit", build))

    def cash(entry: LedgerEntry, kind: str) -> dict:
        return {
            "activity_type": kind,
            "date": entry.created_at.date().isoformat(),
            "net_amount": shapes.money(entry.amount),
            "description": entry.memo or entry.get_kind_display(),
            "status": "executed",
            "symbol": None,
            "qty": None,
            "price": None,
            "per_share_amount": None,
        }

    # Ledger kind → activity type; realised P&L is shown through the fills.
    kinds = {
        k: _NON_TRADE.get(k, "JNLC") for k in LedgerKind.values if k != LedgerKind.REALIZED_PNL
    }
    kinds = {
        k: shown for k, shown in kinds.items() if not activity_types or shown in activity_types
    }
    if kinds:
        ledger = LedgerEntry.objects.filter(account=account, kind__in=kinds)
        for entry in window(ledger, "created_at"):
            build = partial(cash, entry, kinds[entry.kind])
            items.append((entry.created_at, f"ledger:{entry.pk}", build))

    chosen = []
    for at, ref, build in items:
        activity_id = f"{at.astimezone(UTC):{ACTIVITY_ID_TIME}}::{ref}"
        if page_token and (
            activity_id >= page_token if newest_first else activity_id <= page_token
        ):
            continue
        chosen.append((activity_id, build))
    chosen.sort(key=lambda item: item[0], reverse=newest_first)
    return [
        {"id": activity_id, "account_id": account_id, **build()}
        for activity_id, build in chosen[:page_size]
    ]
