"""Reads for the API, the admin and the prop firm's rule sweep. Set-based: one query each.

Valuations use the latest cached quote whatever its age (a stale price is shown, never used
to fill); the liquidation price is the bid for a long, the ask for a short, last otherwise.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import F, Func, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Upper

from alpacabackend.api.errors import InvalidInput, NotFound
from alpacabackend.db import PreparedQuery
from alpacabackend.money import to_cents
from core.models import Asset
from core.quotes import quotes_get
from core.selectors import asset_named
from core.services.quotes import quotes_ensure_fresh
from paper_trading.firm import account_model
from paper_trading.models import LIVE_FIRST, LIVE_STATUSES, Trade, TradeCount, TradeStatus
from paper_trading.positions import PositionState
from paper_trading.services import fills
from paper_trading.services.journal import journal_of

if TYPE_CHECKING:
    from prop_firm.models import PropFirmAccount

_ZERO = Decimal(0)


def _live_trades(account_id: int):
    return (
        Trade.objects.filter(account_id=account_id, status__in=LIVE_STATUSES)
        .order_by("id")
        .values_list(
            "id",
            "status",
            "asset__symbol",
            "direction",
            "quantity",
            "entry_price",
            "limit_price",
            "stop_price",
            "position_effect",
            "asset_id",
        )
    )


# Read by every order (issue 13: its SQL is built once).
_LIVE_TRADES = PreparedQuery(_live_trades, account_id=-900_011)


def account_live_trades(account, *, keep: bool = False) -> list[tuple]:
    """The account's open trades and pending orders, oldest first, as rows of (id, status,
    symbol, direction, quantity, entry_price, limit_price, stop_price, position_effect,
    asset_id). The caller holds the account's lock.

    With `keep`, the rows stay on the locked account instance until its next fill is noted
    (the fill journal), and every call until then answers them without a query: the order
    path reads them once for its own netting and the firm's pre-trade check (issue 13).
    Only the order path keeps them: it changes the account's trades only through fills."""
    journal = journal_of(account)
    if journal.live is not None and journal.live[1] == len(journal.fills):
        return journal.live[0]
    rows = _LIVE_TRADES(account_id=account.pk)
    if keep:
        journal.live = (rows, len(journal.fills))
    return rows


# The order of the trader's accounts list (GET /api/prop-firm/accounts/): newest first.
ACCOUNT_LIST_ORDER = ("-created_at", "-id")


def _accounts_of(user_id):
    """The trader's accounts in the accounts list's order (ACCOUNT_LIST_ORDER)."""
    return account_model().objects.filter(user_id=user_id).order_by(*ACCOUNT_LIST_ORDER)


def _account_of(user_id, account_id):
    return account_model().objects.filter(user_id=user_id, pk=account_id).order_by()


def _current_of(user_id):
    """The trader's ACTIVE accounts, the current one first."""
    return _accounts_of(user_id).filter(status="ACTIVE")


def _plain_and_locked(build, **samples) -> tuple[PreparedQuery, PreparedQuery]:
    """The first account `build` selects, as two reads with SQL built once (issue 13): as it
    is, and with its row locked (an order's)."""
    return (
        PreparedQuery(lambda **values: build(**values)[:1], **samples),
        PreparedQuery(lambda **values: build(**values).select_for_update()[:1], **samples),
    )


_ACCOUNT_OF_USER, _ACCOUNT_OF_USER_LOCKED = _plain_and_locked(
    _account_of, user_id=-910_002, account_id=-910_003
)
_ACCOUNT_CURRENT, _ACCOUNT_CURRENT_LOCKED = _plain_and_locked(_current_of, user_id=-910_004)


def _found(account: PropFirmAccount | None) -> PropFirmAccount:
    if account is None:
        raise NotFound("Account not found.")  # another user's account: as if it did not exist
    return account


def account_get(*, user, account_id: int) -> PropFirmAccount:
    return _found(_ACCOUNT_OF_USER.first(user_id=user.pk, account_id=account_id))


def account_current(*, user) -> PropFirmAccount | None:
    """The trader's current account: the first ACTIVE one in the accounts list's order, which
    is the account the web app shows and trades. An order without `account_id` goes there, and
    the trades and positions lists without `account_id` show it."""
    return _ACCOUNT_CURRENT.first(user_id=user.pk)


@dataclass(frozen=True, slots=True)
class AccountClaim:
    """The account a trader's order names: `account_id`, or their current account when it
    is None. Not read yet: the order checks it as it locks the row (`account_claimed_lock`),
    one read where resolving it first and locking it then took two (issue 13)."""

    user_id: int
    account_id: int | None = None


def account_for_trading(*, user, account_id: int | None = None) -> AccountClaim:
    """The account an order goes to, checked when the order locks it: the given one if it is
    the user's (else 404), or the user's current account (none: 400 NO_ACTIVE_ACCOUNT)."""
    return AccountClaim(user_id=user.pk, account_id=account_id)


def account_claimed_lock(claim: AccountClaim) -> PropFirmAccount:
    """The claimed account, its row locked (the caller is inside a transaction): another
    user's account is 404, as if it did not exist; no current account is 400."""
    if claim.account_id is not None:
        return _found(
            _ACCOUNT_OF_USER_LOCKED.first(user_id=claim.user_id, account_id=claim.account_id)
        )
    account = _ACCOUNT_CURRENT_LOCKED.first(user_id=claim.user_id)
    if account is None:
        raise InvalidInput(
            "You have no active account to trade with. Buy a challenge or pick an account.",
            code="NO_ACTIVE_ACCOUNT",
        )
    return account


def asset_for_order(*, asset: str | None = None, symbol: str | None = None) -> Asset:
    """The asset an order names: `symbol`, or `asset` as an id or a symbol (400 UNKNOWN_SYMBOL).
    From the process's cache when it was read in the last ASSET_CACHE_SECONDS (issue 13:
    the order path reads the account, its positions and its orders, not reference data)."""
    field = "symbol" if symbol else "asset"
    value = str(symbol or asset or "").strip()
    found = asset_named(value, by_id=field == "asset" and value.isdigit())
    if found is None:
        message = f"Unknown symbol {value!r}."
        raise InvalidInput(f"{field}: {message}", code="UNKNOWN_SYMBOL", errors={field: [message]})
    return found


def _account_shown_id(user_id: int) -> Coalesce:
    """The id of the account a list without `account_id` shows, as SQL: the current account
    or, when the trader has none active, their newest account (so a failed or passed
    challenge's history stays visible); NULL without any. A subquery of the list's own
    statement, so the list costs no query of its own to find it."""
    return Coalesce(
        Subquery(_current_of(user_id).values("pk")[:1]),
        Subquery(_accounts_of(user_id).values("pk")[:1]),
    )


@dataclass(frozen=True, slots=True)
class TradeScope:
    """Which of a trader's trades a list shows, resolved and checked (`trade_scope`): one
    account's (`account_id`), those of the account `shown_of` this user shows
    (`_account_shown_id`), or every account of `user_id`'s; narrowed by status, asset id
    and symbols (any case)."""

    account_id: int | None = None
    shown_of: int | None = None
    user_id: int | None = None
    status: str | None = None
    asset_id: int | None = None
    asset_symbol: str | None = None
    symbol: str | None = None
    include_hidden: bool = False


def trade_scope(
    *,
    user,
    account_id: int | None = None,
    all_accounts: bool = False,
    status: str | None = None,
    asset: str | None = None,
    symbol: str | None = None,
    include_hidden: bool = False,
) -> TradeScope:
    """The trades a list shows: of `account_id` (another user's: 404), of every account with
    `all_accounts`, else of the account shown (`_account_shown_id`; none yet: no trades).
    `asset` is an asset id or a symbol. Trades the trader removed from their lists are left
    out unless `include_hidden`."""
    if account_id is not None:
        account_get(user=user, account_id=account_id)
    asset = (asset or "").strip()
    return TradeScope(
        account_id=account_id,
        shown_of=user.pk if account_id is None and not all_accounts else None,
        user_id=user.pk if account_id is None and all_accounts else None,
        status=status or None,
        asset_id=int(asset) if asset.isdigit() else None,
        asset_symbol=asset if asset and not asset.isdigit() else None,
        symbol=symbol or None,
        include_hidden=include_hidden,
    )


def trades_in(scope: TradeScope) -> QuerySet[Trade]:
    """The trades of `scope`, newest first, with what the API shows joined in."""
    trades = Trade.objects.select_related("account", "asset")
    if scope.account_id is not None:
        # The user's account, checked: no join to the accounts to count its trades.
        trades = trades.filter(account_id=scope.account_id)
    elif scope.shown_of is not None:
        trades = trades.filter(account_id=_account_shown_id(scope.shown_of))
    else:
        trades = trades.filter(account__user_id=scope.user_id)
    if not scope.include_hidden:
        trades = trades.filter(hidden_at__isnull=True)
    if scope.status is not None:
        trades = trades.filter(status=scope.status)
    if scope.asset_id is not None:
        trades = trades.filter(asset_id=scope.asset_id)
    # Any case, as `__iexact` compares, in a form whose value reaches the SQL unchanged (a
    # prepared read, `trades_live_first`).
    for name, value in (("asset_symbol", scope.asset_symbol), ("symbol", scope.symbol)):
        if value is not None:
            trades = trades.alias(**{f"{name}_upper": Upper("asset__symbol")}).filter(
                **{f"{name}_upper": Upper(Value(value))}
            )
    return trades.order_by("-created_at", "-id")


def trade_list(*, user, **filters) -> QuerySet[Trade]:
    """`trades_in(trade_scope(...))`: the user's trades, newest first (see `trade_scope`)."""
    return trades_in(trade_scope(user=user, **filters))


@dataclass(frozen=True, slots=True)
class LiveFirstPage:
    rows: list[dict]
    count: int
    rest_offset: int | None  # from there the newest-first list holds every trade left out


# What a scope's values are replaced by to build its SQL once (PreparedQuery's samples).
_SCOPE_SAMPLES = {
    "account_id": -930_001,
    "shown_of": -930_004,
    "user_id": -930_002,
    "status": "(status)",
    "asset_id": -930_003,
    "asset_symbol": "(asset_symbol)",
    "symbol": "(symbol)",
}


_IN_SCOPE = "in_scope"  # each row's count of every trade of the scope


def _scope_count(scope: TradeScope, trades: QuerySet[Trade]):
    """The number of trades in `scope`, as SQL. A scope of whole accounts (no filter, hidden
    trades left out: what the web app polls) reads the accounts' `TradeCount`, which the
    database keeps; any other scope counts its rows."""
    whole_accounts = not scope.include_hidden and not any(
        (scope.status, scope.asset_id, scope.asset_symbol, scope.symbol)
    )
    if whole_accounts:
        if scope.account_id is not None:
            counts = TradeCount.objects.filter(account_id=scope.account_id)
        elif scope.shown_of is not None:
            counts = TradeCount.objects.filter(account_id=_account_shown_id(scope.shown_of))
        else:
            counts = TradeCount.objects.filter(account__user_id=scope.user_id)
        column, function = "listed", "SUM"
    else:
        counts, column, function = trades, "id", "COUNT"
    # An aggregate as a plain function: no GROUP BY, one value (NULL: no row to sum).
    total = counts.order_by().annotate(
        n=Func(F(column), function=function, output_field=IntegerField())
    )
    return Coalesce(Subquery(total.values("n")), Value(0))


@functools.cache
def _live_first_read(shape: tuple, fields: tuple, limit: int) -> PreparedQuery:
    """The prepared read of the scopes shaped like `shape` (which values are set, and
    `include_hidden`): the rows and, in each, the count of the whole scope (a subquery run
    once), in one statement whose SQL is built once per shape. The web app polls this list
    (issue 13)."""
    names, include_hidden = shape
    samples = {name: _SCOPE_SAMPLES[name] for name in names}

    def read(**values):
        scope = TradeScope(include_hidden=include_hidden, **values)
        trades = trades_in(scope)
        return (
            trades.annotate(**{_IN_SCOPE: _scope_count(scope, trades)})
            .order_by(LIVE_FIRST, "-created_at", "-id")
            .values(*fields, _IN_SCOPE)[:limit]
        )

    return PreparedQuery(read, **samples)


def trades_live_first(scope: TradeScope, *, fields, limit: int) -> LiveFirstPage:
    """At most `limit` of the trades of `scope` as `values(*fields)` rows: the open trades
    and pending orders first, then the finished trades, newest first in each; the order of a
    bounded list that leaves no live trade out while they fit. `fields` must hold `status`,
    `created_at` and `id`. One account's trades are read in this order from its index
    (`trade_account_live_first`), not sorted, with their count in the same statement."""
    values = {
        name: getattr(scope, name) for name in _SCOPE_SAMPLES if getattr(scope, name) is not None
    }
    read = _live_first_read((tuple(values), scope.include_hidden), tuple(fields), limit)
    rows = read(**values)
    count = rows[0][_IN_SCOPE] if rows else 0
    for row in rows:
        del row[_IN_SCOPE]
    if count == len(rows):
        return LiveFirstPage(rows=rows, count=count, rest_offset=None)
    finished = [row for row in rows if row["status"] not in LIVE_STATUSES]
    if not finished:
        # Live trades filled the list: the rest are older live ones and every finished one.
        return LiveFirstPage(rows=rows, count=count, rest_offset=0)
    # Newest first, the trades left out all come after the last finished one shown, which
    # comes after the finished ones shown and the live ones newer than it.
    last = (finished[-1]["created_at"], finished[-1]["id"])
    newer_live = sum(
        1
        for row in rows
        if row["status"] in LIVE_STATUSES and (row["created_at"], row["id"]) > last
    )
    return LiveFirstPage(rows=rows, count=count, rest_offset=len(finished) + newer_live)


def trade_get(*, user, trade_id: int) -> Trade:
    """One of the user's trades; another user's trade is 404, as if it did not exist."""
    trade = (
        Trade.objects.select_related("account", "asset")
        .filter(pk=trade_id, account__user=user)
        .first()
    )
    if trade is None:
        raise NotFound("Trade not found.")
    return trade


@dataclass(frozen=True, slots=True)
class Valuation:
    current_price: Decimal | None
    current_value: Decimal | None
    unrealized_pl: Decimal | None


def trade_valuation(trade: Trade, quote) -> Valuation:
    """An open trade at its liquidation price; a closed trade at its exit; anything else has
    no value. The unrealised P&L is gross: the entry commission is already in the balance,
    and RULES.md wants B + Σ unrealised P&L = E (counting it twice broke that)."""
    if trade.status == TradeStatus.CLOSED:
        return Valuation(trade.exit_price, to_cents(trade.quantity * trade.exit_price), None)
    if trade.status != TradeStatus.OPEN:
        return Valuation(None, None, None)
    price = fills.liquidation_price(trade.direction, quote)
    if price is None:
        return Valuation(None, None, None)
    gross = fills.gross_pl(
        direction=trade.direction,
        entry_price=trade.entry_price,
        exit_price=price,
        quantity=trade.quantity,
    )
    return Valuation(price, to_cents(trade.quantity * price), to_cents(gross))


@dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    asset: int
    direction: str
    quantity: Decimal
    avg_entry_price: Decimal
    current_price: Decimal | None
    market_value: Decimal | None
    unrealized_pl: Decimal | None


def account_positions(
    *, account: PropFirmAccount, quotes=None, ask_provider: bool = False
) -> list[Position]:
    """Open trades aggregated per symbol and direction (a long and a short of one symbol are
    two positions), valued at the liquidation price; unrealised P&L gross, the U of RULES.md
    (commissions are already in the balance, so B + Σ unrealised P&L = E).
    Exact Decimal arithmetic in Python over one query, rounded only in the result.
    Valued at the cached quotes, or with `ask_provider` (a request, outside any transaction)
    at current ones: a missing or stale quote is asked of the provider first."""
    trades = list(
        Trade.objects.filter(account=account, status=TradeStatus.OPEN)
        .order_by("id")
        .values_list("asset_id", "asset__symbol", "direction", "quantity", "entry_price")
    )
    if quotes is None:
        symbols = {row[1] for row in trades}  # none: no cache read
        quotes = quotes_ensure_fresh(symbols) if ask_provider else quotes_get(symbols)
    groups: dict[tuple, list] = defaultdict(list)
    for asset_id, symbol, direction, quantity, entry_price in trades:
        groups[(symbol, direction, asset_id)].append((quantity, entry_price))

    positions = []
    for (symbol, direction, asset_id), rows in sorted(groups.items()):
        quantity = sum((q for q, _ in rows), _ZERO)
        cost = sum((q * p for q, p in rows), _ZERO)
        price = fills.liquidation_price(direction, quotes.get(symbol))
        value = unrealized = None
        if price is not None:
            value = to_cents(quantity * price)
            gross = sum(
                (
                    fills.gross_pl(direction=direction, entry_price=p, exit_price=price, quantity=q)
                    for q, p in rows
                ),
                _ZERO,
            )
            unrealized = to_cents(gross)
        positions.append(
            Position(
                symbol=symbol,
                asset=asset_id,
                direction=direction,
                quantity=quantity,
                avg_entry_price=fills.to_price(cost / quantity),
                current_price=price,
                market_value=value,
                unrealized_pl=unrealized,
            )
        )
    return positions


def open_positions_for_accounts(account_ids) -> dict[int, list[PositionState]]:
    """For the rule sweep's U: every open trade of these accounts as a `PositionState`
    (one per trade, so U = Σ position P&L is exact), in one query. Accounts without open
    trades map to an empty list. Commissions are not in it: they are already in B."""
    account_ids = list(account_ids)
    result: dict[int, list[PositionState]] = {account_id: [] for account_id in account_ids}
    rows = (
        Trade.objects.filter(account_id__in=account_ids, status=TradeStatus.OPEN)
        .order_by("account_id", "id")
        .values_list("account_id", "asset__symbol", "direction", "quantity", "entry_price")
    )
    for account_id, symbol, direction, quantity, entry_price in rows:
        result[account_id].append(
            PositionState(
                symbol=symbol, direction=direction, quantity=quantity, entry_price=entry_price
            )
        )
    return result


def symbols_in_use() -> set[str]:
    """core's symbol source: the symbols of open trades and pending orders (one query)."""
    return set(
        Trade.objects.filter(status__in=[TradeStatus.PENDING, TradeStatus.OPEN])
        .order_by()
        .values_list("asset__symbol", flat=True)
        .distinct()
    )
