"""Celery application: tasks are discovered in every app's `tasks.py`; the beat schedule
lives in settings (CELERY_BEAT_SCHEDULE). With no CELERY_BROKER_URL tasks run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpacabackend.settings")

# The prop firm keeps payments and payouts in sub-packages with their own tasks modules.
EXTRA_TASK_PACKAGES = ["prop_firm.payments", "prop_firm.payouts"]

app = Celery("alpacabackend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(EXTRA_TASK_PACKAGES)


def tasks_import() -> None:
    """Imports every tasks module now, so every task is registered (a worker does it when it
    starts, with Django's system checks; the embedded schedule needs only the tasks)."""
    app.autodiscover_tasks(force=True)
    app.autodiscover_tasks(EXTRA_TASK_PACKAGES, force=True)


@app.task(name="alpacabackend.ping")
def ping() -> str:
    """A no-op the health check and the tests use to prove a worker answers."""
    return "pong"
