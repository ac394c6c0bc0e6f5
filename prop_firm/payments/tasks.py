"""Celery entry points for payments: fetch by id, call a service.

Registered by importing this module (the webhook view does; `prop_firm/tasks.py` should import
it so workers know the tasks too)."""

from celery import shared_task

from prop_firm.payments.gateways import PaymentProviderUnavailable


@shared_task(
    name="prop_firm.payments.webhook_event_process",
    ignore_result=True,
    autoretry_for=(PaymentProviderUnavailable,),
    retry_backoff=True,
    max_retries=8,
)
def webhook_event_process(event_pk: int) -> None:
    from prop_firm.payments.models import WebhookEvent
    from prop_firm.payments.services.webhooks import webhook_event_process as process

    event = WebhookEvent.objects.filter(pk=event_pk).first()
    if event is not None:
        process(event=event)


@shared_task(name="prop_firm.payments.webhook_events_retry", ignore_result=True)
def webhook_events_retry() -> int:
    """Beat: every 5 minutes; events left unprocessed (crash, gateway down)."""
    from prop_firm.payments.services.webhooks import webhook_events_retry as retry

    return retry()


@shared_task(name="prop_firm.payments.local_sessions_expire", ignore_result=True)
def local_sessions_expire() -> int:
    """Beat: hourly; the local gateway's open sessions older than 24 h expire, as Stripe's do."""
    from prop_firm.payments.services.local import local_sessions_expire as expire

    return expire()
