"""Serializer fields shared by the apps."""

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
