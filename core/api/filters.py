import django_filters
from django import forms

from core.models import Asset, AssetClass

TRUE_VALUES = ("true", "1")
FALSE_VALUES = ("false", "0")


class StrictBooleanField(forms.Field):
    """A query-string boolean that rejects what it does not understand (`tradable=maybe`)
    instead of ignoring it the way a NullBooleanField does."""

    def to_python(self, value):
        text = str(value or "").strip().lower()
        if not text:
            return None
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise forms.ValidationError(
            f"'{value}' is not a valid value. Allowed: true, false (or 1, 0).", code="invalid"
        )


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class AssetFilter(django_filters.FilterSet):
    asset_class = django_filters.ChoiceFilter(choices=AssetClass.choices)
    exchange = django_filters.CharFilter(field_name="exchange", lookup_expr="iexact")
    tradable = StrictBooleanFilter(help_text="true or false (also 1 or 0).")
    ordering = django_filters.OrderingFilter(
        fields=("symbol", "name", "asset_class", "exchange", "tradable"),
        help_text="symbol, name, asset_class, exchange or tradable; prefix - for descending.",
    )

    class Meta:
        model = Asset
        fields = ["asset_class", "exchange", "tradable"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(*queryset.query.order_by, "id")  # stable pages
        return queryset
