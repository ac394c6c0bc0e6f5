"""Enqueueing a Celery task without letting a broker outage fail the request.

The work is scheduled after the request's transaction committed (`on_commit`): the money
has moved and must stay moved. If the broker does not answer, `.delay()` raises and the
client got a 500 for a request that had succeeded. Here the failure is logged and the work
goes another way, so nothing is lost:
- `RUN_INLINE`: the task runs in this process now (emails: slower, but sent);
- `LEAVE_FOR_RETRY`: nothing more; a beat task finds the work from the database when the
  broker is back (webhook events stay unprocessed until `webhook_events_retry` takes them).
"""

import logging

logger = logging.getLogger(__name__)

RUN_INLINE = "inline"
LEAVE_FOR_RETRY = "retry"


def _broker_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as KombuOperationalError

    return (KombuOperationalError, ConnectionError, OSError, TimeoutError)


def task_enqueue(task, *args, fallback: str = RUN_INLINE, **kwargs) -> bool:
    """`task.delay(*args, **kwargs)`; on a broker failure, the `fallback`. True when queued."""
    try:
        task.delay(*args, **kwargs)
        return True
    except _broker_errors() as exc:
        logger.warning(
            "The task queue is unavailable (%s); %s %s", exc, task.name,
            "runs in-process" if fallback == RUN_INLINE else "is left for the retry task",
        )  # fmt: skip
    if fallback == RUN_INLINE:
        try:
            task.apply(args=args, kwargs=kwargs, throw=True)
        except Exception:
            logger.exception("%s failed in-process", task.name)
    return False
