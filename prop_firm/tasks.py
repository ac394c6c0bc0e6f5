"""Celery entry points: fetch by id, call a service."""

from celery import shared_task

from prop_firm.services import notifications, rule_engine


@shared_task(name="prop_firm.rule_sweep", ignore_result=True)
def rule_sweep() -> int:
    """Beat: every PROP_RULE_SWEEP_SECONDS. Splits the active accounts into id ranges and
    queues one chunk task per range, so several workers share a sweep."""
    chunks = rule_engine.sweep_chunks()
    for first_id, last_id in chunks:
        rule_sweep_chunk.delay(first_id, last_id)
    return len(chunks)


@shared_task(name="prop_firm.rule_sweep_chunk", ignore_result=True)
def rule_sweep_chunk(first_id: int, last_id: int) -> None:
    rule_engine.sweep_chunk(first_id=first_id, last_id=last_id)


@shared_task(name="prop_firm.daily_reset", ignore_result=True)
def daily_reset() -> int:
    """Beat: every minute; a no-op until the trading day changes (guarded by sod_day)."""
    return rule_engine.daily_reset().snapshots


@shared_task(
    name="prop_firm.send_account_email",
    ignore_result=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def send_account_email(kind: str, account_id: int, context: dict) -> None:
    notifications.account_email_send(kind=kind, account_id=account_id, context=context)
