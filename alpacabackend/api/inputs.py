"""The base of the serializers that read a request's input on the hot paths."""

import copy

from rest_framework import serializers


def _flat(field: serializers.Field) -> bool:
    """A field that holds no other field (no serializer, list or dict of fields)."""
    return not isinstance(field, serializers.BaseSerializer) and not hasattr(field, "child")


class InputSerializer(serializers.Serializer):
    """A serializer of request input whose declared fields are copied shallowly.

    DRF deep-copies every declared field for every serializer it makes, which re-runs each
    field's `__init__` (its validators, its choices): about 1 ms of an order's CPU for the
    order's 17 fields (issue 13), more than the order's own checks. A flat field keeps no
    state of a request once built (its validators, error messages and choices are read, never
    changed), so a shallow copy is a field of its own to bind to this serializer, sharing only
    what it never changes. A field holding other fields (a nested serializer, a list or dict
    field) is deep-copied as DRF does.
    """

    def get_fields(self):
        return {
            name: _clone(field) if _flat(field) else copy.deepcopy(field)
            for name, field in self._declared_fields.items()
        }


def _clone(field: serializers.Field) -> serializers.Field:
    """What `copy.copy` gives for a field (a new instance holding the same attributes), made
    directly: `copy.copy` goes through `__reduce_ex__` and took most of the serializer's
    set-up (issue 13)."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone
