"""The embedded schedule (no broker): the serving process runs the beat schedule itself, one
process per database, and no failing job stops the others."""

import threading
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import OperationalError

from alpacabackend import scheduler
from alpacabackend.scheduler import ScheduledJob, beat_jobs, jobs_run_due


def test_every_beat_entry_names_a_task_this_process_can_run():
    jobs = beat_jobs(settings.CELERY_BEAT_SCHEDULE, now=100.0)
    assert {job.name for job in jobs} == set(settings.CELERY_BEAT_SCHEDULE)
    sweep = next(job for job in jobs if job.name == "prop-firm-rule-sweep")
    # First due one interval after the start, not at once.
    assert sweep.every == settings.PROP_RULE_SWEEP_SECONDS and sweep.due == 100.0 + sweep.every


def test_due_jobs_run_on_their_interval_and_a_failure_stops_none():
    calls = []

    def failing():
        calls.append("fail")
        raise RuntimeError("provider down")

    jobs = [
        ScheduledJob("sweep", lambda: calls.append("sweep"), every=5, due=5),
        ScheduledJob("poll", failing, every=5, due=5),
        ScheduledJob("reset", lambda: calls.append("reset"), every=60, due=60),
    ]
    assert jobs_run_due(jobs, now=1) == 4  # nothing due yet; the next in 4 s
    assert calls == []
    assert jobs_run_due(jobs, now=5) == 5
    assert calls == ["sweep", "fail"]
    # Late by 12 s: each runs once, not once per missed interval.
    jobs_run_due(jobs, now=22)
    assert calls == ["sweep", "fail", "sweep", "fail"]
    assert jobs[0].due == 27  # one interval after the late run
    assert jobs_run_due(jobs, now=22) == 5  # nothing runs twice in a row
    assert calls.count("sweep") == 2
    jobs_run_due(jobs, now=60)
    assert calls.count("reset") == 1 and calls.count("sweep") == 3


def test_one_process_per_database_runs_it(tmp_path, monkeypatch):
    monkeypatch.setattr(scheduler, "_lock_path", lambda: tmp_path / "schedule.lock")
    first = scheduler.schedule_lock_take()
    assert first is not None
    assert scheduler.schedule_lock_take() is None  # another server on the same database
    first.close()  # the holder is gone
    again = scheduler.schedule_lock_take()
    assert again is not None
    again.close()


def test_off_without_the_setting(settings):
    settings.EMBEDDED_SCHEDULER = False
    assert scheduler.embedded_schedule_start() is None


@pytest.mark.django_db(transaction=True)
def test_the_thread_fills_a_resting_order_once_the_price_crosses_it(
    settings, tmp_path, monkeypatch
):
    """The schedule as `bin/run` runs it: order matching every interval, in its own thread,
    with its own database connection."""
    from account.models import User
    from paper_trading.models import Trade
    from paper_trading.services.trades import trade_place
    from paper_trading.tests.factories import quote
    from prop_firm.tests.factories import AssetFactory, active_account

    user = User.objects.create_user(email="sched@example.com", name="Sched", password=None)
    account = active_account(user)
    asset = AssetFactory(symbol="SCHD")
    quote("SCHD", "100.00", "100.02")
    order = trade_place(
        account=account, asset=asset, direction="LONG", quantity=Decimal("1"),
        order_type="LIMIT", limit_price=Decimal("99.00"),
    )  # fmt: skip
    assert order.status == "PENDING"
    quote("SCHD", "98.90", "98.95")  # the ask crossed the limit; no stream tells anyone

    monkeypatch.setattr(scheduler, "_lock_path", lambda: tmp_path / "schedule.lock")
    settings.EMBEDDED_SCHEDULER = True
    settings.CELERY_BEAT_SCHEDULE = {
        "paper-orders-match": {"task": "paper_trading.orders_match", "schedule": 0.2}
    }
    stop = scheduler.embedded_schedule_start()
    assert stop is not None
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                order.refresh_from_db()
            except OperationalError:
                # SQLite's in-memory test database is shared between threads with table
                # locks: a read while the thread writes the trade fails at once. Poll again.
                time.sleep(0.05)
                continue
            if order.status != "PENDING":
                break
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threading.enumerate():
            if thread.name == "embedded-schedule":
                thread.join(timeout=5)
    assert order.status == "OPEN"
    assert Trade.objects.get(pk=order.pk).entry_price <= Decimal("99.00")
