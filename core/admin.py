from django.contrib import admin

from core.models import Asset, AssetSync, Candle, CandleRange, WatchList, WatchListAsset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = (
        "symbol",
        "name",
        "asset_class",
        "exchange",
        "status",
        "tradable",
        "shortable",
        "fractionable",
        "updated_at",
    )
    list_filter = ("asset_class", "status", "tradable", "shortable", "exchange")
    search_fields = ("symbol", "name")
    ordering = ("symbol",)
    readonly_fields = ("provider_id", "created_at", "updated_at")


@admin.register(Candle)
class CandleAdmin(admin.ModelAdmin):
    list_display = ("asset", "timeframe", "timestamp", "open", "high", "low", "close", "volume")
    list_filter = ("timeframe",)
    search_fields = ("asset__symbol",)
    list_select_related = ("asset",)
    date_hierarchy = "timestamp"
    raw_id_fields = ("asset",)
    show_full_result_count = False  # counting millions of bars is slow


@admin.register(CandleRange)
class CandleRangeAdmin(admin.ModelAdmin):
    list_display = ("asset", "timeframe", "start", "end")
    list_filter = ("timeframe",)
    search_fields = ("asset__symbol",)
    list_select_related = ("asset",)
    raw_id_fields = ("asset",)


class WatchListAssetInline(admin.TabularInline):
    model = WatchListAsset
    extra = 0
    raw_id_fields = ("asset",)
    readonly_fields = ("added_at",)


@admin.register(WatchList)
class WatchListAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "is_default", "is_global", "is_active", "created_at")
    list_filter = ("is_default", "is_global", "is_active")
    search_fields = ("name", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    inlines = [WatchListAssetInline]


@admin.register(AssetSync)
class AssetSyncAdmin(admin.ModelAdmin):
    list_display = ("finished_at", "created", "updated", "deactivated", "total")
    ordering = ("-finished_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
