"""Emails to the trader: scheduled after commit, sent by a Celery task, never blocking.

`notify(kind, account, **context)` is called inside the transaction that made the change;
the email leaves only if it commits (`transaction.on_commit`), from a Celery task (in-process
when no broker is configured), and a failing mail server is logged, never raised.
"""

from django.db import transaction

from alpacabackend.emails import email_send
from prop_firm.models import PropFirmAccount

ACTIVATED = "activated"
WARNING = "warning"
BREACH = "breach"
STAGE_PASSED = "stage_passed"

# Each kind's templates: prop_firm/email/account_<kind>{_subject.txt,.txt,.html}.


def notify(kind: str, account: PropFirmAccount, **context) -> None:
    """Schedules the email `kind` about `account` for after the current transaction commits.
    `context` values must be JSON-serialisable (strings and numbers)."""
    from alpacabackend.queue import task_enqueue
    from prop_firm.tasks import send_account_email

    account_id = account.pk
    transaction.on_commit(lambda: task_enqueue(send_account_email, kind, account_id, context))


def account_email_send(*, kind: str, account_id: int, context: dict) -> bool:
    """Renders and sends one email; False (logged) when it could not be sent."""
    account = PropFirmAccount.objects.select_related("user", "plan").filter(pk=account_id).first()
    if account is None or not account.user.email:
        return False
    values = {
        "name": account.user.name or account.user.email,
        "account_number": account.account_number,
        "plan": account.plan.name,
        "starting_balance": account.starting_balance,
        **context,
    }
    # A mail server down never breaks trading: email_send logs and answers False.
    return email_send(
        template=f"prop_firm/email/account_{kind}", to=account.user.email, context=values
    )
