"""Celery entry points: the fallback for quote-driven matching, and DAY order expiry."""

from celery import shared_task

from paper_trading.services.trades import orders_expire, orders_match


@shared_task(name="paper_trading.orders_match")
def orders_match_task() -> int:
    """Matches every resting order and bracket against the latest fresh quotes."""
    return orders_match()


@shared_task(name="paper_trading.orders_expire")
def orders_expire_task() -> int:
    return orders_expire()
