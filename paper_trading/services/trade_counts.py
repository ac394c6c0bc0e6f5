"""The accounts' counts of listed trades (`TradeCount`), which database triggers keep."""

from django.db import connection, transaction
from django.db.models import Count, Q

from paper_trading.models import Trade, TradeCount


def trade_counts_drifted() -> list[tuple[int, int, int]]:
    """(account id, count kept, trades listed) of every account whose count is wrong: none,
    unless the trades were written with the triggers off (a restore with them disabled)."""
    listed = dict(
        Trade.objects.filter(hidden_at__isnull=True)
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n")
    )
    kept = dict(TradeCount.objects.values_list("account_id", "listed"))
    return sorted(
        (account_id, kept.get(account_id, 0), listed.get(account_id, 0))
        for account_id in listed.keys() | kept.keys()
        if kept.get(account_id, 0) != listed.get(account_id, 0)
    )


def trade_counts_rebuild() -> int:
    """Recounts every account's listed trades from the trades themselves; returns how many
    accounts had a wrong count. Trade writes wait meanwhile (a SHARE lock on PostgreSQL; a
    write transaction holds SQLite's database lock)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE paper_trading_trade IN SHARE MODE")
        drifted = trade_counts_drifted()
        if drifted:
            TradeCount.objects.all().delete()
            TradeCount.objects.bulk_create(
                TradeCount(account_id=row["account_id"], listed=row["n"])
                for row in Trade.objects.filter(Q(hidden_at__isnull=True))
                .values("account_id")
                .annotate(n=Count("id"))
                .order_by()
            )
    return len(drifted)
