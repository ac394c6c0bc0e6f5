"""Emails to the trader: scheduled after commit, sent by a Celery task, never blocking.

`notify(kind, account, **context)` is called inside the transaction that made the change;
the email leaves only if it commits (`transaction.on_commit`), from a Celery task (in-process
when no broker is configured), and a failing mail server is logged, never raised.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from prop_firm.models import PropFirmAccount

logger = logging.getLogger(__name__)

ACTIVATED = "activated"
WARNING = "warning"
BREACH = "breach"
STAGE_PASSED = "stage_passed"

_SUBJECTS = {
    ACTIVATED: "Your account {account_number} is active",
    WARNING: "Account {account_number}: {rule_label} at {used_pct}% of its limit",
    BREACH: "Account {account_number} has failed: {rule_label}",
    STAGE_PASSED: "Account {account_number} passed: {next_account_number} is open",
}

_BODIES = {
    ACTIVATED: (
        "Hello {name},\n\nYour {plan} account {account_number} is active with a balance of "
        "${starting_balance}. Good trading!\n"
    ),
    WARNING: (
        "Hello {name},\n\nAccount {account_number} has used {used_pct}% of its {rule_label} "
        "room: equity ${equity}, floor ${floor}. At the floor the account fails and every "
        "position is closed.\n"
    ),
    BREACH: (
        "Hello {name},\n\nAccount {account_number} broke the {rule_label} rule and has "
        "failed.\n\n{description}\n\nThreshold: {threshold}\nActual: {actual}\n"
        "Prices used: {prices}\nAt: {occurred_at}\n\nOpen positions were closed and pending "
        "orders cancelled.\n"
    ),
    STAGE_PASSED: (
        "Hello {name},\n\nCongratulations: account {account_number} passed {stage_name}. "
        "Your next stage, {next_stage_name}, is open as account {next_account_number} with "
        "a balance of ${next_starting_balance}.\n"
    ),
}


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
    try:
        send_mail(
            _SUBJECTS[kind].format(**values),
            _BODIES[kind].format(**values),
            settings.DEFAULT_FROM_EMAIL,
            [account.user.email],
        )
    except Exception:  # a mail server down never breaks trading
        logger.exception("Could not send the %s email for account %s", kind, account_id)
        return False
    return True
