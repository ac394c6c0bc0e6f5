"""Emails to the trader about a payout: requested, approved, paid, rejected (with the reason).

`payout_email_schedule` is called inside the transaction that changed the payout; the email
leaves only if that transaction commits (`transaction.on_commit`). A failing mail server is
logged, never raised: money has already moved and must not be rolled back by an email.
"""

from django.db import transaction

from alpacabackend.emails import email_send
from prop_firm.payouts.models import Payout

REQUESTED = "requested"
APPROVED = "approved"
PAID = "paid"
REJECTED = "rejected"

# Each kind's templates: prop_firm/email/payout_<kind>{_subject.txt,.txt,.html}.


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
    # A mail server down never undoes a payout: email_send logs and answers False.
    return email_send(template=f"prop_firm/email/payout_{kind}", to=user.email, context=values)
