"""The one payment gateway interface; Stripe and the local gateway implement it."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from rest_framework import status

from alpacabackend.api.errors import ServiceUnavailable

PAID = "paid"


class PaymentProviderUnavailable(ServiceUnavailable):
    """The gateway could not be reached or is not configured (503)."""

    default_code = "PAYMENT_PROVIDER_UNAVAILABLE"
    default_message = (
        "The payment provider is unavailable right now. Nothing was charged; please try again "
        "in a few minutes."
    )


class PaymentProviderError(PaymentProviderUnavailable):
    """The gateway answered, with an error we cannot fix by retrying at once (502)."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_message = (
        "The payment provider refused the request. Nothing was charged; please try again or "
        "contact support."
    )


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """A checkout session as the gateway sees it: the truth fulfilment relies on."""

    id: str
    url: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: Decimal | None
    currency: str
    payment_intent_id: str | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def is_paid(self) -> bool:
        return self.payment_status == PAID


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    id: str
    status: str
    amount: Decimal | None
    currency: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectAccount:
    """A Connect (Express) account as the gateway sees it (Stripe's `account` object)."""

    id: str
    payouts_enabled: bool
    charges_enabled: bool
    details_submitted: bool
    requirements_currently_due: tuple[str, ...] = ()
    disabled_reason: str = ""


@dataclass(frozen=True, slots=True)
class AccountLink:
    """Where to send the trader to onboard (Stripe's `account_link`: single-use, expiring)."""

    url: str
    expires_at: int | None = None


def connect_account_from(data: dict) -> ConnectAccount:
    """Stripe's account object (a dict, as the API or an event carries it) as ours."""
    requirements = data.get("requirements") or {}
    return ConnectAccount(
        id=data["id"],
        payouts_enabled=bool(data.get("payouts_enabled")),
        charges_enabled=bool(data.get("charges_enabled")),
        details_submitted=bool(data.get("details_submitted")),
        requirements_currently_due=tuple(requirements.get("currently_due") or ()),
        disabled_reason=requirements.get("disabled_reason") or "",
    )


class PaymentGateway(Protocol):
    name: str

    def session_create(
        self, *, purchase, success_url: str, cancel_url: str, base_url: str = ""
    ) -> CheckoutSession:
        """Opens a checkout session for `purchase` (called outside any transaction)."""

    def session_retrieve(self, session_id: str) -> CheckoutSession: ...

    def payment_intent_retrieve(self, payment_intent_id: str) -> PaymentIntent: ...

    def webhook_secret(self) -> str: ...

    def publishable_key(self) -> str: ...

    # Connect (payouts to the trader's own account); called outside any transaction.

    def connect_account_create(self, *, user) -> ConnectAccount:
        """Creates the trader's Express account; safe to repeat (one per user)."""

    def connect_account_link(
        self, *, account_id: str, refresh_url: str, return_url: str, base_url: str = ""
    ) -> AccountLink: ...

    def connect_account_retrieve(self, account_id: str) -> ConnectAccount: ...
