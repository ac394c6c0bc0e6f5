"""Reads for the API, the admin and the other apps: querysets shaped for their callers."""

import copy

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Upper
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from alpacabackend.api.errors import NotFound
from alpacabackend.cache import ProcessCache
from alpacabackend.db import PreparedQuery
from core.models import Asset, AssetClass, WatchList, WatchListAsset

# Read by every order, chart poll and quote (issue 13: its SQL is built once).
_ASSET_BY_ID = PreparedQuery(
    lambda asset_id: Asset.objects.filter(pk=asset_id).order_by()[:1], asset_id=-940_001
)


def asset_by_id(asset_id: int) -> Asset | None:
    return _ASSET_BY_ID.first(asset_id=asset_id)


# Any case, as `symbol__iexact` compares, through the index on UPPER(symbol).
_ASSET_BY_SYMBOL = PreparedQuery(
    lambda symbol: (
        Asset.objects.alias(symbol_upper=Upper("symbol"))
        .filter(symbol_upper=Upper(Value(symbol)))
        .order_by("asset_class", "id")[:1]
    ),
    symbol="(symbol)",
)

# The assets orders name, per process: every order names one, and what an order needs of it
# (symbol, class, tradable, shortable, fractionable) changes a few times a day at most (the
# asset sync, an admin). A save or delete in this process, and the sync, clear the cache at
# once; other processes see a change after at most ASSET_CACHE_SECONDS. Only assets read
# outside a transaction are kept: never a row a rollback may take back.
ASSET_CACHE_SECONDS = 10.0
_named = ProcessCache(ASSET_CACHE_SECONDS, kept_in_transactions=False)


@receiver(post_save, sender=Asset)
@receiver(post_delete, sender=Asset)
def assets_cache_clear(**_) -> None:
    _named.clear()


def asset_named(value: str, *, by_id: bool = False) -> Asset | None:
    """The asset with this symbol (any case; `by_id`: this id), from the process's cache when
    it was read in the last ASSET_CACHE_SECONDS (issue 13: an order reads its account, its
    positions and its orders, not reference data). Each caller gets an instance of its own.
    A symbol that is not ASCII is always looked up: the database's UPPER, not Python's,
    decides what it names."""
    if by_id:
        found = _named.read(("id", int(value)), lambda: asset_by_id(int(value)))
    elif value.isascii():
        found = _named.read(("symbol", value.upper()), lambda: _ASSET_BY_SYMBOL.first(symbol=value))
    else:
        return _ASSET_BY_SYMBOL.first(symbol=value)
    return copy.copy(found)  # the caller's own: the kept one is never handed out


def asset_list(*, search: str = "") -> QuerySet[Asset]:
    """Assets; with `search`, those whose symbol starts with it or whose name contains it,
    ranked exact symbol first, then symbol prefix, then name matches."""
    queryset = Asset.objects.all()
    search = search.strip()
    if not search:
        return queryset.order_by("symbol", "id")
    return (
        queryset.filter(Q(symbol__istartswith=search) | Q(name__icontains=search))
        .annotate(
            rank=Case(
                When(symbol__iexact=search, then=Value(0)),
                When(symbol__istartswith=search, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "symbol", "id")
    )


def asset_get(*, asset_id: int) -> Asset:
    asset = asset_by_id(asset_id)
    if asset is None:
        raise NotFound("This asset does not exist.", code="ASSET_NOT_FOUND")
    return asset


def asset_get_by_symbol(*, symbol: str) -> Asset:
    """By symbol, case-insensitively; an active listing wins over a delisted one."""
    asset = (
        Asset.objects.annotate(symbol_upper=Upper("symbol"))
        .filter(symbol_upper=symbol.strip().upper())
        .order_by("status", "asset_class")  # "active" sorts before "inactive"
        .first()
    )
    if asset is None:
        raise NotFound(f"No asset has the symbol {symbol}.", code="ASSET_NOT_FOUND")
    return asset


def asset_stats() -> dict:
    labels = dict(AssetClass.choices)
    classes = (
        Asset.objects.values("asset_class").annotate(count=Count("id")).order_by("asset_class")
    )
    exchanges = Asset.objects.values("exchange").annotate(count=Count("id")).order_by("exchange")
    asset_classes = [
        {
            "value": row["asset_class"],
            "label": labels.get(row["asset_class"], row["asset_class"]),
            "count": row["count"],
        }
        for row in classes
    ]
    return {
        "asset_classes": asset_classes,
        "exchanges": [
            {"value": row["exchange"], "label": row["exchange"] or "Unknown", "count": row["count"]}
            for row in exchanges
        ],
        "total_count": sum(row["count"] for row in asset_classes),
    }


def watchlist_list(*, user) -> QuerySet[WatchList]:
    return WatchList.objects.filter(user=user).annotate(asset_count=Count("items"))


def watchlist_global_list() -> QuerySet[WatchList]:
    """The firm's shared lists (active ones), each with its assets: what every trader reads
    with ?global=true."""
    return (
        WatchList.objects.filter(is_global=True, is_active=True)
        .annotate(asset_count=Count("items"))
        .prefetch_related(_items_with_assets())
    )


def watchlist_get(*, user, watchlist_id) -> WatchList:
    """The user's list with its assets; another user's list is "not found"."""
    watchlist = (
        watchlist_list(user=user)
        .prefetch_related(_items_with_assets())
        .filter(pk=watchlist_id)
        .first()
    )
    if watchlist is None:
        raise NotFound("This watchlist does not exist.", code="WATCHLIST_NOT_FOUND")
    return watchlist


def _items_with_assets():
    return Prefetch("items", queryset=WatchListAsset.objects.select_related("asset"))


def watchlist_default_items(*, user) -> QuerySet[WatchListAsset]:
    """The entries of the user's default list (empty when the user has none)."""
    return (
        WatchListAsset.objects.filter(watchlist__user=user, watchlist__is_default=True)
        .select_related("asset")
        .order_by("-added_at", "-id")
    )


def watched_symbols() -> list[str]:
    """Symbols on any active watchlist entry (a symbol source for the price stream)."""
    return list(
        WatchListAsset.objects.filter(is_active=True, watchlist__is_active=True)
        .values_list("asset__symbol", flat=True)
        .distinct()
    )
