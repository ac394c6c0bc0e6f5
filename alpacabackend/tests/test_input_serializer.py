"""InputSerializer (alpacabackend/api/inputs.py): fields copied shallowly must validate
exactly as DRF's deep copies do, each serializer with fields of its own."""

from decimal import Decimal

from rest_framework import serializers

from alpacabackend.api.inputs import InputSerializer
from paper_trading.api.serializers import TradePlaceInput


class _Nested(InputSerializer):
    name = serializers.CharField(max_length=3)
    tags = serializers.ListField(child=serializers.CharField(max_length=2))


def test_serializers_alive_together_keep_their_own_fields_and_answers():
    first = TradePlaceInput(data={"symbol": "AAPL", "side": "buy", "quantity": "2"})
    second = TradePlaceInput(data={"symbol": "MSFT", "side": "SELL", "quantity": "x"})
    assert first.fields["quantity"] is not second.fields["quantity"]
    assert first.fields["quantity"].parent is first and second.fields["quantity"].parent is second
    assert not second.is_valid()
    assert first.is_valid(), first.errors
    assert first.validated_data["quantity"] == Decimal("2")
    assert first.validated_data["direction"] == "LONG"
    assert second.errors["quantity"] == ["A valid number is required."]
    # The declared fields themselves are never bound, so every copy binds afresh.
    assert TradePlaceInput._declared_fields["quantity"].source is None


def test_fields_holding_fields_are_copied_deeply():
    first, second = _Nested(data={"name": "abcd", "tags": ["x"]}), _Nested(data={"tags": ["xyz"]})
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert not first.is_valid() and not second.is_valid()
    assert first.errors == {"name": ["Ensure this field has no more than 3 characters."]}
    assert second.errors["tags"] == {0: ["Ensure this field has no more than 2 characters."]}


def test_a_field_is_cloned_as_copy_copy_would_copy_it():
    import copy

    from alpacabackend.api.inputs import _clone

    for field in TradePlaceInput._declared_fields.values():
        clone, copied = _clone(field), copy.copy(field)
        assert type(clone) is type(field) and clone is not field
        assert clone.__dict__ == copied.__dict__
