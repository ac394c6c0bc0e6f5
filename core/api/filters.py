import django_filters

from core.models import Asset, AssetClass


class AssetFilter(django_filters.FilterSet):
    asset_class = django_filters.ChoiceFilter(choices=AssetClass.choices)
    exchange = django_filters.CharFilter(field_name="exchange", lookup_expr="iexact")
    tradable = django_filters.BooleanFilter()
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
