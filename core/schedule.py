"""Celery beat entries of the core app, merged into settings.CELERY_BEAT_SCHEDULE.
Plain data (no Django import), so settings.py can import it."""

BEAT_SCHEDULE = {
    # Fallback price refresh; a no-op while `manage.py stream_quotes` runs.
    "core-quotes-poll": {"task": "core.quotes_poll", "schedule": 5.0},
    # The provider's asset list once a day (new listings, delistings, shortability).
    "core-assets-sync": {"task": "core.assets_sync", "schedule": 24 * 3600.0},
}
