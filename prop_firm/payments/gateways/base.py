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
