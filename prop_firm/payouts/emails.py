"""Emails to the trader about a payout: requested, approved, paid, rejected (with the reason).

`payout_email_schedule` is called inside the transaction that changed the payout; the email
leaves only if that transaction commits (`transaction.on_commit`). A failing mail server is
logged, never raised: money has already moved and must not be rolled back by an email.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from prop_firm.payouts.models import Payout

logger = logging.getLogger(__name__)

REQUESTED = "requested"
APPROVED = "approved"
PAID = "paid"
REJECTED = "rejected"

_SUBJECTS = {
    REQUESTED: "Payout request #{id} received for account {account_number}",
    APPROVED: "Payout #{id} approved",
    PAID: "Payout #{id} paid: ${trader_share}",
    REJECTED: "Payout #{id} rejected",
}

_BODIES = {
    REQUESTED: (
        "Hello {name},\n\nWe received your payout request #{id} for account {account_number}.\n"
        "Profit withdrawn: ${amount}\nYour share ({profit_split}%): ${trader_share}\n"
        "Method: {method}\n\nThe account's balance is back at ${starting_balance}. "
        "We will review the request shortly.\n"
    ),
    APPROVED: (
        "Hello {name},\n\nYour payout #{id} of ${trader_share} for account {account_number} "
        "has been approved and is being paid by {method}.\n"
    ),
    PAID: (
        "Hello {name},\n\nYour payout #{id} of ${trader_share} for account {account_number} "
        "has been paid by {method}.\nReference: {reference}\n"
    ),
    REJECTED: (
        "Hello {name},\n\nYour payout #{id} for account {account_number} was rejected.\n\n"
        "Reason: {reason}\n\nThe profit of ${amount} has been credited back to the account.\n"
    ),
}


def payout_email_schedule(kind: str, payout: Payout) -> None:
    """Schedules the email `kind` about `payout` for after the current transaction commits."""
    payout_id = payout.pk
    transaction.on_commit(lambda: payout_email_send(kind=kind, payout_id=payout_id))


def payout_email_send(*, kind: str, payout_id: int) -> bool:
    """Renders and sends one email from the committed payout; False (logged) on failure."""
    payout = Payout.objects.select_related("account", "account__user").filter(pk=payout_id).first()
    if payout is None or not payout.account.user.email:
        return False
    user = payout.account.user
    values = {
        "id": payout.pk,
        "name": user.name or user.email,
        "account_number": payout.account.account_number,
        "amount": payout.amount,
        "profit_split": payout.profit_split,
        "trader_share": payout.trader_share,
        "method": payout.get_payment_method_display(),
        "reference": payout.stripe_transfer_id or payout.reference or "-",
        "reason": payout.reason or "-",
        "starting_balance": payout.account.starting_balance,
    }
    try:
        send_mail(
            _SUBJECTS[kind].format(**values),
            _BODIES[kind].format(**values),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:  # a mail server down never undoes a payout
        logger.exception("Could not send the %s email for payout %s", kind, payout_id)
        return False
    return True
