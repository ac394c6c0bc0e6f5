"""The embedded schedule: with no broker (the embedded default) the serving process runs the
beat schedule (settings.CELERY_BEAT_SCHEDULE) itself, in one background thread.

Without it, `bash bin/run` alone never matched resting orders against new prices, never
fired a stop-loss or a take-profit, never swept the rules and never reset the trading day:
accounts were judged only when they traded. With a broker, `celery beat` runs the schedule
and this stays off (`EMBEDDED_SCHEDULER`, on by default exactly when CELERY_BROKER_URL is
empty).

One process per database runs it: the first to take an exclusive lock on a file named after
the database (in the system's temporary directory); a second server on the same database,
or the next one after a reload, takes over only when the holder's process is gone (the
system releases the lock with the process).
"""

import fcntl
import hashlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


@dataclass
class ScheduledJob:
    name: str
    run: Callable[[], object]
    every: float  # seconds
    due: float = field(default=0.0)  # time.monotonic() of the next run
    runs: int = 0


def _lock_path() -> Path:
    database = connections["default"].settings_dict
    identity = f"{database.get('HOST', '')}:{database.get('PORT', '')}/{database['NAME']}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"alpacabackend-schedule-{digest}.lock"


def schedule_lock_take():
    """The open lock file when this process may run the schedule, else None."""
    handle = _lock_path().open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def beat_jobs(schedule: dict, now: float) -> list[ScheduledJob]:
    """The beat entries as jobs, each first due one interval from `now` (a server start is
    not a reason to sweep or sync at once), run eagerly in this process."""
    from alpacabackend.celery import app, tasks_import

    tasks_import()
    jobs = []
    for name, entry in schedule.items():
        task = app.tasks[entry["task"]]
        args, kwargs = tuple(entry.get("args", ())), dict(entry.get("kwargs", {}))
        every = float(entry["schedule"])
        jobs.append(
            ScheduledJob(
                name=name,
                run=lambda task=task, args=args, kwargs=kwargs: task.apply(args, kwargs).get(),
                every=every,
                due=now + every,
            )
        )
    return jobs


def jobs_run_due(jobs: list[ScheduledJob], now: float) -> float:
    """Runs every job due at `now`, one after the other; returns the seconds until the next
    one is due. A job that fails is logged and runs again at its next time; none stops the
    others. A job that ran late is not run twice to catch up (as beat would not)."""
    for job in jobs:
        if job.due > now:
            continue
        try:
            job.run()
        except Exception:
            logger.exception("Embedded schedule: %s failed", job.name)
        job.runs += 1
        if job.runs == 1:
            logger.info("Embedded schedule: ran %s (first run; every %ss)", job.name, job.every)
        job.due += job.every
        if job.due <= now:  # it ran late: the next run is one interval from now
            job.due = now + job.every
    return max(0.0, min(job.due for job in jobs) - now) if jobs else 60.0


def _loop(jobs: list[ScheduledJob], stop: threading.Event, lock) -> None:
    try:
        wait = 0.0
        while not stop.wait(wait):
            wait = jobs_run_due(jobs, time.monotonic())
            close_old_connections()  # as after a request: a broken connection is not kept
    finally:
        connections.close_all()
        lock.close()


def embedded_schedule_start() -> threading.Event | None:
    """Starts the schedule's thread in this process when it should run here; returns the
    event that stops it (None when it does not run here)."""
    if not settings.EMBEDDED_SCHEDULER or not settings.CELERY_BEAT_SCHEDULE:
        return None
    lock = schedule_lock_take()
    if lock is None:
        logger.info("Embedded schedule: another process on this database runs it.")
        return None
    jobs = beat_jobs(settings.CELERY_BEAT_SCHEDULE, time.monotonic())
    stop = threading.Event()
    threading.Thread(
        target=_loop, args=(jobs, stop, lock), name="embedded-schedule", daemon=True
    ).start()
    logger.info(
        "Embedded schedule: %d periodic tasks run in this process (no CELERY_BROKER_URL); "
        "with a broker, celery beat runs them instead.",
        len(jobs),
    )
    return stop
