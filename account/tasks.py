"""Celery entry points of the account app: fetch by id, call a service."""

from celery import shared_task


@shared_task(name="account.password_reset_email_send", ignore_result=True)
def password_reset_email_send(user_id: int) -> None:
    from account.services.passwords import password_reset_email_send as send

    send(user_id=user_id)


@shared_task(name="account.verification_email_send", ignore_result=True)
def verification_email_send(user_id: int, base_url: str = "") -> None:
    from account.services.email_verification import verification_email_send as send

    send(user_id=user_id, base_url=base_url)
