"""Which gateway runs: `gateway_get()` for new checkouts and incoming webhooks,
`gateway_for(purchase)` for a purchase's own gateway.

PAYMENT_GATEWAY=auto (default): Stripe when STRIPE_SECRET_KEY is set, else the local gateway
when DEBUG is on, else none (payments refused: a production server must not hand out free
accounts). PAYMENT_GATEWAY=local forces the local gateway, refused with a live Stripe key.
PAYMENT_GATEWAY=stripe requires STRIPE_SECRET_KEY. Any other value is a configuration error
(ImproperlyConfigured at first use), never read as `auto`.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from prop_firm.payments.gateways.base import (
    AccountLink,
    CheckoutSession,
    ConnectAccount,
    PaymentGateway,
    PaymentIntent,
    PaymentProviderError,
    PaymentProviderUnavailable,
)
from prop_firm.payments.gateways.local import LocalGateway, local_webhook_secret
from prop_firm.payments.gateways.stripe_gateway import StripeGateway

__all__ = [
    "AccountLink",
    "CheckoutSession",
    "ConnectAccount",
    "LocalGateway",
    "PaymentGateway",
    "PaymentIntent",
    "PaymentProviderError",
    "PaymentProviderUnavailable",
    "StripeGateway",
    "gateway_for",
    "gateway_get",
    "gateway_name",
    "gateway_named",
    "local_webhook_secret",
]

_GATEWAYS = {"stripe": StripeGateway, "local": LocalGateway}
CHOICES = ("auto", "stripe", "local")


def _has_live_key() -> bool:
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def gateway_name() -> str | None:
    """The configured gateway's name, or None when payments must be refused."""
    choice = (settings.PAYMENT_GATEWAY or "auto").strip().lower()
    if choice not in CHOICES:
        # A typo must not quietly pick a gateway (with DEBUG on, `auto` is the free one).
        raise ImproperlyConfigured(
            f"PAYMENT_GATEWAY={settings.PAYMENT_GATEWAY!r} is not a payment gateway: set it "
            f"to one of {', '.join(CHOICES)}."
        )
    if choice == "stripe":
        return "stripe" if settings.STRIPE_SECRET_KEY else None
    if choice == "local":
        return None if _has_live_key() else "local"
    if settings.STRIPE_SECRET_KEY:
        return "stripe"
    return "local" if settings.DEBUG else None


def gateway_get() -> PaymentGateway:
    name = gateway_name()
    if name is None:
        raise PaymentProviderUnavailable(
            "Payments are not available on this server right now. Nothing was charged.",
        )
    return _GATEWAYS[name]()


def gateway_for(purchase) -> PaymentGateway:
    """The gateway that opened `purchase`'s session (a purchase keeps its gateway even if
    the configuration changes); the local one only while it is allowed."""
    if purchase.gateway == "local" and gateway_name() != "local":
        raise PaymentProviderUnavailable(
            "This checkout was opened with the local gateway, which is disabled now."
        )
    return _GATEWAYS[purchase.gateway]()


def gateway_named(name: str) -> PaymentGateway:
    """The gateway that made an object (a connected account keeps its gateway), the local
    one only while it is allowed."""
    if name == "local" and gateway_name() != "local":
        raise PaymentProviderUnavailable("The local gateway is disabled on this server.")
    return _GATEWAYS[name]()
