"""The accounts' counts of listed trades (`TradeCount`), which database triggers keep."""

from django.db import connection, transaction
from django.db.models import Count

from paper_trading.models import Trade, TradeCount


def _listed() -> dict[int, int]:
    """Each account's trades not hidden, counted from the trades themselves."""
    return dict(
        Trade.objects.filter(hidden_at__isnull=True)
        .order_by()
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )


def _drifted(listed: dict[int, int]) -> list[tuple[int, int, int]]:
    kept = dict(TradeCount.objects.values_list("account_id", "listed"))
    return sorted(
        (account_id, kept.get(account_id, 0), listed.get(account_id, 0))
        for account_id in listed.keys() | kept.keys()
        if kept.get(account_id, 0) != listed.get(account_id, 0)
    )


def trade_counts_drifted() -> list[tuple[int, int, int]]:
    """(account id, count kept, trades listed) of every account whose count is wrong: none,
    unless the trades were written with the triggers off (a restore with them disabled)."""
    return _drifted(_listed())


def trade_counts_rebuild() -> int:
    """Recounts every account's listed trades from the trades themselves; returns how many
    accounts had a wrong count. Trade writes wait meanwhile (a SHARE lock on PostgreSQL; a
    write transaction holds SQLite's database lock)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE paper_trading_trade IN SHARE MODE")
        listed = _listed()
        drifted = _drifted(listed)
        if drifted:
            TradeCount.objects.all().delete()
            TradeCount.objects.bulk_create(
                TradeCount(account_id=account_id, listed=n) for account_id, n in listed.items()
            )
    return len(drifted)
