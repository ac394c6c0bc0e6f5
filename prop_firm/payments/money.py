"""Minor units (cents) exist only here, at the gateway edge: Stripe speaks integers of the
currency's smallest unit; everything else in the project speaks Decimal plus a currency."""

from decimal import Decimal

from alpacabackend.money import to_cents

# Stripe's zero-decimal currencies: amounts are already whole units.
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)


def to_minor_units(amount: Decimal, currency: str) -> int:
    if currency.lower() in ZERO_DECIMAL:
        return int(amount.to_integral_value())
    return int(to_cents(amount) * 100)


def from_minor_units(value: int, currency: str) -> Decimal:
    if currency.lower() in ZERO_DECIMAL:
        return Decimal(int(value))
    return to_cents(Decimal(int(value)) / 100)
