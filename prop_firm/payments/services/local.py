"""The local gateway's counter: Pay, Decline and expiry of its own checkout sessions, and
the onboarding of its Connect accounts.

Each action changes the local session (the gateway's side) in a transaction, then, once it
has committed, delivers a Stripe-format event signed with the local webhook secret through
the same webhook code as Stripe's. Delivery is in-process: a single-process development
server posting to itself would deadlock.
"""

import logging
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import NotFound
from prop_firm.payments import events
from prop_firm.payments.gateways import gateway_name, local_webhook_secret
from prop_firm.payments.gateways.local import LINK_SALT, account_link_account_id
from prop_firm.payments.models import (
    LocalCheckoutSession,
    LocalConnectAccount,
    LocalSessionStatus,
    WebhookEvent,
)
from prop_firm.payments.services.webhooks import webhook_deliver

logger = logging.getLogger(__name__)


# Stripe's Checkout Sessions expire after 24 hours; the local gateway's do too.
SESSION_LIFETIME = timedelta(hours=24)


def _require_local() -> None:
    if gateway_name() != "local":
        raise NotFound("This checkout page does not exist.", code="CHECKOUT_NOT_FOUND")


def _session_find(session_id: str) -> LocalCheckoutSession | None:
    return (
        LocalCheckoutSession.objects.select_related("purchase__plan", "purchase__account")
        .filter(session_id=session_id)
        .first()
    )


def local_session_get(*, session_id: str) -> LocalCheckoutSession:
    """The session behind a checkout page. An overdue open one expires here, with every other
    overdue session: without Celery beat (the embedded default) nothing else would expire it,
    and it must not be paid after its lifetime, as a Stripe session cannot."""
    _require_local()
    record = _session_find(session_id)
    if record is None:
        raise NotFound("This checkout page does not exist.", code="CHECKOUT_NOT_FOUND")
    if record.status == LocalSessionStatus.OPEN and record.created_at < (
        timezone.now() - SESSION_LIFETIME
    ):
        local_sessions_expire()
        record = _session_find(session_id)
    return record


def local_event_deliver(*, event: dict) -> WebhookEvent | None:
    """Signs `event` as Stripe would and hands it to the webhook code. Failures are logged,
    never raised: the customer's browser still goes on (the retry task picks it up)."""
    body = events.event_encode(event)
    try:
        return webhook_deliver(
            payload=body, signature=events.event_sign(body, local_webhook_secret())
        )
    except Exception:
        logger.exception("Local gateway: delivering %s %s failed", event["type"], event["id"])
        return None


def _deliver_after_commit(event_type: str, record: LocalCheckoutSession) -> None:
    event = events.event_for(event_type, record.purchase)
    transaction.on_commit(lambda: local_event_deliver(event=event))


def local_session_pay(*, session_id: str) -> LocalCheckoutSession:
    """The customer pays: the session is complete and paid, then `checkout.session.completed`
    is delivered. Paying a paid session again does nothing."""
    record = local_session_get(session_id=session_id)
    with transaction.atomic():
        locked = (
            LocalCheckoutSession.objects.select_for_update(of=("self",))
            .select_related("purchase__user")
            .get(pk=record.pk)
        )
        if locked.status != LocalSessionStatus.OPEN:
            return locked
        locked.status = LocalSessionStatus.COMPLETE
        locked.payment_status = "paid"
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "payment_status", "completed_at"])
        _deliver_after_commit("checkout.session.completed", locked)
    return locked


def local_session_decline(*, session_id: str) -> LocalCheckoutSession:
    """The card is declined: `payment_intent.payment_failed`; the session stays open so the
    customer may try again."""
    record = local_session_get(session_id=session_id)
    with transaction.atomic():
        locked = (
            LocalCheckoutSession.objects.select_for_update(of=("self",))
            .select_related("purchase__user")
            .get(pk=record.pk)
        )
        if locked.status == LocalSessionStatus.OPEN:
            _deliver_after_commit("payment_intent.payment_failed", locked)
    return locked


def local_sessions_expire(*, older_than: timedelta = SESSION_LIFETIME) -> int:
    """Open local sessions older than `older_than` expire (`checkout.session.expired`), as
    Stripe's do after 24 hours. Run hourly by Celery beat when there is one, and lazily when
    a checkout is opened or an overdue session's page is (so it also happens without beat)."""
    if gateway_name() != "local":
        return 0
    cutoff = timezone.now() - older_than
    expired = 0
    stale = LocalCheckoutSession.objects.filter(
        status=LocalSessionStatus.OPEN, created_at__lt=cutoff
    )
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            locked = (
                LocalCheckoutSession.objects.select_for_update(of=("self",))
                .select_related("purchase__user")
                .get(pk=pk)
            )
            if locked.status != LocalSessionStatus.OPEN:
                continue
            locked.status = LocalSessionStatus.EXPIRED
            locked.save(update_fields=["status"])
            _deliver_after_commit("checkout.session.expired", locked)
            expired += 1
    return expired


# --------------------------------------------------------------------------------------
# Connect onboarding (the local stand-in for Stripe's hosted onboarding)
# --------------------------------------------------------------------------------------


class AccountLinkExpired(Exception):
    """The onboarding link is too old; `refresh_url` is where the trader goes instead."""

    def __init__(self, refresh_url: str):
        super().__init__(refresh_url)
        self.refresh_url = refresh_url


def local_connect_account_get(*, token: str) -> LocalConnectAccount:
    """The account an onboarding link opens. Raises NotFound for a forged link and
    AccountLinkExpired for an old one (Stripe then sends the trader to `refresh_url`)."""
    _require_local()
    try:
        account_id = account_link_account_id(token)
    except signing.SignatureExpired:
        record = LocalConnectAccount.objects.filter(
            account_id=signing.TimestampSigner(salt=LINK_SALT).unsign(token)
        ).first()
        raise AccountLinkExpired(record.refresh_url if record else "") from None
    except signing.BadSignature:
        raise NotFound(
            "This onboarding page does not exist.", code="ONBOARDING_NOT_FOUND"
        ) from None
    record = LocalConnectAccount.objects.filter(account_id=account_id).first()
    if record is None:
        raise NotFound("This onboarding page does not exist.", code="ONBOARDING_NOT_FOUND")
    return record


def local_connect_submit(*, account_id: str, bank_account: bool) -> LocalConnectAccount:
    """The trader submits the onboarding form. With a (test) bank account Stripe would enable
    payouts; without one the details are in but `external_account` is still due. Either way
    `account.updated` is delivered, signed, through the webhook code once this commits."""
    _require_local()
    with transaction.atomic():
        locked = LocalConnectAccount.objects.select_for_update().get(account_id=account_id)
        locked.details_submitted = True
        locked.charges_enabled = bank_account
        locked.payouts_enabled = bank_account
        locked.requirements_currently_due = [] if bank_account else ["external_account"]
        locked.save(
            update_fields=[
                "details_submitted",
                "charges_enabled",
                "payouts_enabled",
                "requirements_currently_due",
            ]
        )
        event = events.account_updated_event(locked)
        transaction.on_commit(lambda: local_event_deliver(event=event))
    return locked
