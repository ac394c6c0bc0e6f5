"""Celery entry points: a few lines each, calling a service."""

import logging

from celery import shared_task

from core.hooks import symbols_that_matter
from core.providers import ProviderUnavailable
from core.services.assets import assets_sync
from core.services.quotes import quotes_refresh, stream_is_alive

logger = logging.getLogger(__name__)


@shared_task(name="core.assets_sync")
def assets_sync_task() -> dict:
    result = assets_sync()
    return {"created": result.created, "updated": result.updated, "total": result.total}


@shared_task(
    name="core.quotes_poll",
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=2,
    max_retries=2,
)
def quotes_poll_task(force: bool = False) -> int:
    """The fallback when no price stream runs: refresh the symbols that matter and notify the
    listeners. Stands down while `manage.py stream_quotes` is alive."""
    if not force and stream_is_alive():
        return 0
    symbols = symbols_that_matter()
    return len(quotes_refresh(symbols, notify=True)) if symbols else 0
