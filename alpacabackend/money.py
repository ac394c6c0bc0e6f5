"""Money and quantity rounding: the one place that quantizes.

Computations stay exact in `Decimal`; round only when a value is stored or shown.
Floats are refused: a float has already lost the cents.
"""

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
Q6 = Decimal("0.000001")  # quantities (fractional shares, crypto) keep 6 decimals


def _as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money and quantities must be Decimal, int or str, never float")
    return value if isinstance(value, Decimal) else Decimal(value)


def to_cents(value: Decimal | int | str) -> Decimal:
    """`value` rounded half-even to 0.01, as stored in NUMERIC(…, 2) and shown."""
    return _as_decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def to_quantity(value: Decimal | int | str) -> Decimal:
    """`value` rounded half-even to 6 decimals, as quantities are stored."""
    return _as_decimal(value).quantize(Q6, rounding=ROUND_HALF_EVEN)


# Column and serializer shapes: every money amount in the project has the same precision,
# so a NUMERIC column, an API field and a SQL cast can never disagree.
MONEY_DIGITS = {"max_digits": 16, "decimal_places": 2}
PRICE_DIGITS = {"max_digits": 20, "decimal_places": 6}
QUANTITY_DIGITS = {"max_digits": 20, "decimal_places": 6}
PERCENT_DIGITS = {"max_digits": 5, "decimal_places": 2}
