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
