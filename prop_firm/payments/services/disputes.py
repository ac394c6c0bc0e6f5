"""After the sale: failed attempts, refunds and disputes, as they affect the account.

A full refund or an opened dispute suspends the live account (trading stops, open positions
closed at market, payouts blocked by the status); a partial refund or an inquiry only flags
it for an admin. Nothing here moves an account backwards: a suspended, failed or closed
account stays as it is, and a settled dispute is not reopened by a late event.
"""

import logging
from decimal import Decimal

from django.db import transaction

from prop_firm.models import AccountStatus, PropFirmAccount
from prop_firm.payments.models import Purchase, PurchaseStatus
from prop_firm.payments.services.fulfilment import purchase_flag
from prop_firm.services import lifecycle

logger = logging.getLogger(__name__)

PAYMENT_FAILED = "PAYMENT_FAILED"  # activity kinds
REFUNDED = "REFUNDED"
DISPUTE = "DISPUTE"

SETTLED_DISPUTE = frozenset({"won", "lost"})


def _lock(purchase: Purchase) -> Purchase:
    return (
        Purchase.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(pk=purchase.pk)
    )


def live_account(purchase: Purchase) -> PropFirmAccount:
    """The account the purchase pays for today: a passed stage continues as a new account,
    so follow `next_account` to the newest one."""
    account = purchase.account
    seen = {account.pk}
    while True:
        following = PropFirmAccount.objects.filter(previous_account=account).first()
        if following is None or following.pk in seen:
            return account
        seen.add(following.pk)
        account = following


def account_suspend_for_payment(*, account: PropFirmAccount, reason: str) -> bool:
    """ACTIVE → SUSPENDED with positions closed at market, in one transaction. Returns
    False (and changes nothing) for an account that is not ACTIVE."""
    with transaction.atomic():
        locked = PropFirmAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)
        if locked.status != AccountStatus.ACTIVE:
            return False
        lifecycle.liquidate(account=locked, reason=reason)
        lifecycle.account_suspend(account=locked, reason=reason)
    return True


def purchase_payment_failed(
    *, purchase: Purchase, code: str, message: str, payment_intent_id: str = ""
) -> bool:
    """Records a failed attempt on the purchase and as an activity; nothing else (the
    customer may retry in the same session). A late failure after payment changes nothing
    (returns False)."""
    with transaction.atomic():
        locked = _lock(purchase)
        if locked.status not in (PurchaseStatus.CREATED, PurchaseStatus.OPEN):
            return False
        locked.failure_code = code[:100]
        locked.failure_message = message
        if (
            payment_intent_id
            and not locked.payment_intent_id
            and not Purchase.objects.filter(payment_intent_id=payment_intent_id).exists()
        ):
            locked.payment_intent_id = payment_intent_id
        locked.save()
        lifecycle.activity_record(
            account=locked.account,
            kind=PAYMENT_FAILED,
            message=f"Payment attempt failed: {message or code}",
            after={"purchase": locked.pk, "code": code},
        )
    return True


def purchase_refund_record(*, purchase: Purchase, amount_refunded: Decimal, full: bool) -> str:
    """A refund seen on the purchase's charge: full → the live account is suspended;
    partial → flagged for an admin. Returns what was done."""
    with transaction.atomic():
        locked = _lock(purchase)
        already_full = locked.amount_refunded >= locked.amount
        if already_full or (amount_refunded <= locked.amount_refunded and not full):
            return "refund already recorded"
        locked.amount_refunded = max(locked.amount_refunded, amount_refunded)
        locked.save(update_fields=["amount_refunded", "updated_at"])
        account = live_account(locked)
        total = f"{locked.amount_refunded} {locked.currency.upper()}"
        if not full:
            purchase_flag(
                purchase=locked,
                account=account,
                reason=f"Partial refund of {total}: review the account.",
            )
            return "partial refund flagged"
        lifecycle.activity_record(
            account=account,
            kind=REFUNDED,
            message=f"Payment refunded in full ({total}).",
            after={"purchase": locked.pk, "amount_refunded": str(locked.amount_refunded)},
        )
        if account_suspend_for_payment(account=account, reason="payment refunded"):
            return "refunded, account suspended"
        purchase_flag(
            purchase=locked,
            account=account,
            reason=f"Refunded in full while the account is {account.status.lower()}.",
        )
        return "refunded, account not active: flagged"


def purchase_dispute_open(*, purchase: Purchase, dispute_id: str, status: str, reason: str):
    """A dispute (chargeback) opened: the live account is suspended. An inquiry
    (`warning_*`) only flags it. A dispute already settled is not reopened."""
    with transaction.atomic():
        locked = _lock(purchase)
        if locked.dispute_id == dispute_id and locked.dispute_status in SETTLED_DISPUTE:
            return "dispute already settled"
        locked.dispute_id = dispute_id
        locked.dispute_status = status
        locked.save(update_fields=["dispute_id", "dispute_status", "updated_at"])
        account = live_account(locked)
        if status.startswith("warning_"):
            purchase_flag(
                purchase=locked,
                account=account,
                reason=f"Payment inquiry opened ({reason or 'no reason given'}).",
            )
            return "inquiry flagged"
        lifecycle.activity_record(
            account=account,
            kind=DISPUTE,
            message=f"Payment disputed ({reason or 'no reason given'}).",
            after={"purchase": locked.pk, "dispute": dispute_id, "status": status},
        )
        if account_suspend_for_payment(account=account, reason="payment disputed"):
            return "disputed, account suspended"
        purchase_flag(
            purchase=locked,
            account=account,
            reason=f"Dispute opened while the account is {account.status.lower()}.",
        )
        return "disputed, account not active: flagged"


def purchase_dispute_close(*, purchase: Purchase, dispute_id: str, status: str) -> str:
    """A dispute settled: `won` → flagged so an admin may reinstate; `lost` → the live
    account is closed."""
    with transaction.atomic():
        locked = _lock(purchase)
        locked.dispute_id = dispute_id
        locked.dispute_status = status
        locked.save(update_fields=["dispute_id", "dispute_status", "updated_at"])
        account = live_account(locked)
        if status == "lost":
            lifecycle.activity_record(
                account=account,
                kind=DISPUTE,
                message="Dispute lost: the payment was returned to the customer.",
                after={"purchase": locked.pk, "dispute": dispute_id, "status": status},
            )
            if lifecycle.can_transition(account.status, AccountStatus.CLOSED):
                lifecycle.account_close(account=account, reason="payment dispute lost")
                return "dispute lost, account closed"
            return "dispute lost, account already final"
        if status == "won":
            purchase_flag(
                purchase=locked,
                account=account,
                reason="Dispute won: an admin may reinstate the account.",
            )
            return "dispute won, flagged for reinstatement"
        purchase_flag(
            purchase=locked, account=account, reason=f"Dispute closed with status {status}."
        )
        return f"dispute closed ({status}), flagged"
