"""The admin dashboard's reads: a fixed number of aggregate queries whatever the row count.

The figures the staff API also shows (revenue, accounts, pass rates, breaches, payouts) come
from `prop_firm.admin_api.selectors.dashboard`, so the admin page and the API never disagree;
this module adds what only the page draws: accounts by status *and* stage, revenue per day,
and the firm's open exposure (gross notional of open positions at current quotes).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from alpacabackend.money import to_cents
from core.quotes import quotes_get
from paper_trading.models import Trade, TradeStatus
from prop_firm import rules
from prop_firm.admin_api.selectors import dashboard
from prop_firm.models import AccountStage, AccountStatus, PropFirmAccount
from prop_firm.payments.models import Purchase, PurchaseStatus

_ZERO = Decimal("0")
_COST = DecimalField(max_digits=40, decimal_places=12)


def accounts_by_status_and_stage() -> dict[str, dict[str, int]]:
    """`{status: {stage: count}}` with every status and stage present (zeros included)."""
    counts = {
        (status, stage): n
        for status, stage, n in PropFirmAccount.objects.values_list("status", "stage")
        .annotate(n=Count("id"))
        .order_by()
    }
    return {
        status: {stage: counts.get((status, stage), 0) for stage in AccountStage.values}
        for status in AccountStatus.values
    }


def revenue_by_day(*, now: datetime, days: int = 30) -> list[dict]:
    """Paid purchases per calendar day (the current time zone), oldest first, the last
    `days` days including today; days without sales are zero."""
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = {
        row["day"]: row
        for row in Purchase.objects.filter(status=PurchaseStatus.PAID, paid_at__gte=start)
        .annotate(day=TruncDate("paid_at"))
        .values("day")
        .annotate(amount=Sum("amount"), count=Count("id"))
        .order_by()
    }
    out = []
    for offset in range(days):
        day: date = first + timedelta(days=offset)
        row = rows.get(day, {})
        out.append(
            {
                "day": day,
                "amount": to_cents(row.get("amount") or _ZERO),
                "count": row.get("count", 0),
            }
        )
    return out


@dataclass(frozen=True, slots=True)
class SymbolExposure:
    symbol: str
    long: Decimal  # notional of the long positions, at the bid (liquidation price)
    short: Decimal  # notional of the short positions, at the ask
    positions: int
    priced_at: datetime | None  # the quote's time; None when no quote (entry price used)
    stale: bool

    @property
    def gross(self) -> Decimal:
        return self.long + self.short


def _notional(symbol, direction, quantity, cost, quote) -> tuple[Decimal, bool]:
    """Notional of an aggregated position at its liquidation price (RULES.md: bid for a
    long, ask for a short, last where no side); at its average entry price without quote."""
    entry = cost / quantity
    position = rules.PositionState(symbol, direction, quantity, entry)
    price = None
    if quote is not None:
        price = rules.liquidation_price(
            position, rules.Quote(quote.bid, quote.ask, quote.last, quote.timestamp)
        )
    return quantity * (price if price is not None else entry), price is not None


def open_exposure(*, now: datetime) -> dict:
    """The firm's open exposure: the gross notional of every open position, marked at the
    current quotes (one query on the trades, one read of the quote cache)."""
    rows = list(
        Trade.objects.filter(status=TradeStatus.OPEN)
        .values_list("asset__symbol", "direction")
        .annotate(
            total_quantity=Sum("quantity"),
            total_cost=Sum(F("quantity") * F("entry_price"), output_field=_COST),
            n=Count("id"),
        )
        .order_by()
    )
    quotes = quotes_get(sorted({symbol for symbol, *_ in rows}))
    by_symbol: dict[str, dict] = {}
    for symbol, direction, quantity, cost, positions in rows:
        quote = quotes.get(symbol)
        notional, priced = _notional(symbol, direction, quantity, cost, quote)
        entry = by_symbol.setdefault(
            symbol,
            {
                "long": _ZERO,
                "short": _ZERO,
                "positions": 0,
                "priced_at": quote.timestamp if quote is not None and priced else None,
                "stale": quote is None or not priced or not quote.is_fresh(now),
            },
        )
        entry["long" if direction == "LONG" else "short"] += notional
        entry["positions"] += positions
    symbols = sorted(
        (
            SymbolExposure(
                symbol=symbol,
                long=to_cents(e["long"]),
                short=to_cents(e["short"]),
                positions=e["positions"],
                priced_at=e["priced_at"],
                stale=e["stale"],
            )
            for symbol, e in by_symbol.items()
        ),
        key=lambda s: (-s.gross, s.symbol),
    )
    long = sum((s.long for s in symbols), _ZERO)
    short = sum((s.short for s in symbols), _ZERO)
    return {
        "gross": long + short,
        "long": long,
        "short": short,
        "net": long - short,
        "positions": sum(s.positions for s in symbols),
        "symbols": symbols,
        "unpriced": sum(1 for s in symbols if s.priced_at is None),
        "stale": sum(1 for s in symbols if s.stale),
    }


def dashboard_figures(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    figures = dashboard(now=now)
    figures["accounts"]["by_status_and_stage"] = accounts_by_status_and_stage()
    figures["revenue"]["by_day"] = revenue_by_day(now=now)
    figures["open_exposure"] = open_exposure(now=now)
    figures["now"] = now
    return figures
