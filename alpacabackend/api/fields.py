"""Serializer fields shared by the apps."""

from decimal import ROUND_HALF_EVEN, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class NormalisedChoiceField(serializers.ChoiceField):
    """A choice accepted in any case, with '-' or ' ' for '_' ("stop-limit" → STOP_LIMIT)."""

    def __init__(self, *args, lower: bool = False, **kwargs):
        self.lower = lower
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().replace("-", "_").replace(" ", "_")
            data = data.lower() if self.lower else data.upper()
        return super().to_internal_value(data)


@extend_schema_field({"type": "number", "example": 242.65})
class DecimalNumberField(serializers.Field):
    """A `Decimal` shown as a JSON number, for market data and ratios the web app does
    arithmetic on (SPA-CONTRACT.md: `num!`). Money and quantities of accounts and trades stay
    decimal strings.

    The stored values have at most a few decimals, and Python's float `repr` is the shortest
    text that reads back as the same float, so `Decimal("242.5")` is written `242.5` and
    `Decimal("0.29667")` `0.29667`, never `242.49999999999997`. `places`, when given, rounds
    half-even first (a percentage to 2 decimals)."""

    def __init__(self, *, places: int | None = None, **kwargs):
        self.places = places
        super().__init__(**kwargs)

    def to_representation(self, value):
        value = value if isinstance(value, Decimal) else Decimal(str(value))
        if self.places is not None:
            value = value.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_EVEN)
        if value == value.to_integral_value() and abs(value) < 2**53:
            return int(value)
        return float(value)

    def to_internal_value(self, data):  # pragma: no cover - output only
        raise NotImplementedError("an output field")


_NOT_ASCII_NUMBER = "Write numbers with the ASCII digits 0-9."


def _require_ascii(field: serializers.Field, data) -> None:
    # Python's Decimal() and int() read any Unicode digit ("٣" is 3, "１" is 1): an order for
    # a quantity the trader never typed in digits the firm's staff can read. Refused.
    if isinstance(data, str) and not data.isascii():
        field.fail("not_ascii")


class AsciiDecimalField(serializers.DecimalField):
    """A decimal written in ASCII digits only (a JSON number, or a string of 0-9 . - +)."""

    default_error_messages = {"not_ascii": _NOT_ASCII_NUMBER}

    def to_internal_value(self, data):
        _require_ascii(self, data)
        return super().to_internal_value(data)


class AsciiIntegerField(serializers.IntegerField):
    """An integer (an id, a count) written in ASCII digits only."""

    default_error_messages = {"not_ascii": _NOT_ASCII_NUMBER}

    def to_internal_value(self, data):
        _require_ascii(self, data)
        return super().to_internal_value(data)
