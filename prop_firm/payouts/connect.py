"""Stripe Connect onboarding: the trader sets up the account their Stripe payouts go to.

- `connect_onboard` creates the trader's Express account once (our `ConnectedAccount` row is
  unique per user, and the gateway call carries a per-user idempotency key), makes it the
  payout destination (`User.stripe_account_id`) and returns a fresh onboarding link.
- The account's state is Stripe's: `account.updated` events and the status endpoint both ask
  the gateway for the account as it is now (`connect_account_retrieve`), so events arriving
  late or out of order never put an old state back.
- A Stripe payout needs `payouts_enabled` (`selectors.connect_payout_check`, part of the
  payout's eligibility).

No network inside a transaction: the gateway is called first, then the row is written.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput
from prop_firm.payments.gateways import (
    AccountLink,
    ConnectAccount,
    PaymentProviderUnavailable,
    gateway_get,
    gateway_named,
)
from prop_firm.payments.services.checkout import checkout_url_errors
from prop_firm.payouts.models import ConnectedAccount

logger = logging.getLogger(__name__)


def _urls(refresh_url: str, return_url: str) -> tuple[str, str]:
    refresh_url = refresh_url or f"{settings.FRONTEND_URL}/payouts?connect=refresh"
    return_url = return_url or f"{settings.FRONTEND_URL}/payouts?connect=return"
    errors = checkout_url_errors(refresh_url=refresh_url, return_url=return_url)
    if errors:
        field, messages = next(iter(errors.items()))
        raise InvalidInput(f"{field}: {messages[0]}", code="VALIDATION_ERROR", errors=errors)
    return refresh_url, return_url


def _copy(record: ConnectedAccount, account: ConnectAccount) -> list[str]:
    record.payouts_enabled = account.payouts_enabled
    record.charges_enabled = account.charges_enabled
    record.details_submitted = account.details_submitted
    record.requirements_currently_due = list(account.requirements_currently_due)
    record.disabled_reason = account.disabled_reason[:100]
    record.synced_at = timezone.now()
    return [
        "payouts_enabled",
        "charges_enabled",
        "details_submitted",
        "requirements_currently_due",
        "disabled_reason",
        "synced_at",
        "updated_at",
    ]


def connect_onboard(
    *, user, refresh_url: str = "", return_url: str = "", base_url: str = ""
) -> tuple[ConnectedAccount, AccountLink]:
    """The trader's connected account (created the first time) and a link to onboard it.
    Raises PaymentProviderUnavailable (503/502) when the gateway fails."""
    refresh_url, return_url = _urls(refresh_url, return_url)
    record = ConnectedAccount.objects.filter(user=user).first()
    if record is None:
        gateway = gateway_get()
        account = gateway.connect_account_create(user=user)
        with transaction.atomic():
            # A concurrent onboarding may have stored it first: the first row stays (the
            # idempotency key made the gateway answer both with the same account anyway).
            record, created = ConnectedAccount.objects.get_or_create(
                user=user,
                defaults={"gateway": gateway.name, "stripe_account_id": account.id},
            )
            if created:
                _copy(record, account)
                record.save()
    if user.stripe_account_id != record.stripe_account_id:
        # Onboarding makes the trader's own account the payout destination.
        type(user).objects.filter(pk=user.pk).update(stripe_account_id=record.stripe_account_id)
        user.stripe_account_id = record.stripe_account_id
    link = gateway_named(record.gateway).connect_account_link(
        account_id=record.stripe_account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        base_url=base_url,
    )
    return record, link


def connected_account_sync(*, record: ConnectedAccount) -> ConnectedAccount:
    """Copies the gateway's current state of `record`'s account (network first, then the
    row under its lock)."""
    account = gateway_named(record.gateway).connect_account_retrieve(record.stripe_account_id)
    return connected_account_apply(record_id=record.pk, account=account)


def connected_account_apply(*, record_id: int, account: ConnectAccount) -> ConnectedAccount:
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=record_id)
        fields = _copy(locked, account)
        locked.save(update_fields=fields)
    return locked


def connect_status(*, user) -> ConnectedAccount | None:
    """The trader's connected account, refreshed from the gateway when it answers (the
    trader comes back from onboarding before Stripe's event, or without one); the stored
    state when it does not."""
    record = ConnectedAccount.objects.filter(user=user).first()
    if record is None:
        return None
    try:
        return connected_account_sync(record=record)
    except PaymentProviderUnavailable:
        logger.warning("Connected account %s: showing the stored state", record.stripe_account_id)
        return record


def connected_account_for_event(account_id: str) -> tuple[ConnectedAccount | None, object]:
    """`account.updated`'s prepare step: our row and the gateway's current account."""
    record = ConnectedAccount.objects.filter(stripe_account_id=account_id).first()
    if record is None:
        return None, None
    return record, gateway_named(record.gateway).connect_account_retrieve(account_id)
