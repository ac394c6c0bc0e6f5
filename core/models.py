from django.conf import settings
from django.db import models
from django.db.models.functions import Upper


class AssetClass(models.TextChoices):
    US_EQUITY = "us_equity", "US equity"
    CRYPTO = "crypto", "Crypto"


class Asset(models.Model):
    symbol = models.CharField(max_length=32)
    name = models.CharField(max_length=255, blank=True)
    exchange = models.CharField(max_length=32, blank=True)
    asset_class = models.CharField(
        max_length=16, choices=AssetClass.choices, default=AssetClass.US_EQUITY
    )
    status = models.CharField(max_length=16, default="active")
    tradable = models.BooleanField(default=True)
    shortable = models.BooleanField(default=False)
    fractionable = models.BooleanField(default=False)
    easy_to_borrow = models.BooleanField(default=False)
    marginable = models.BooleanField(default=False)
    provider_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "asset_class"], name="core_asset_symbol_class"
            ),
        ]
        indexes = [
            models.Index(fields=["asset_class", "tradable"]),
            # An order names its asset in any case (`symbol__iexact`): found through this
            # index, not by a scan of the ~12,000 assets Alpaca lists.
            models.Index(Upper("symbol"), name="core_asset_symbol_upper"),
        ]

    def __str__(self) -> str:
        return self.symbol

    @property
    def is_tradable(self) -> bool:
        return self.tradable and self.status == "active"


class AssetSync(models.Model):
    """A finished asset sync, whichever process ran it (the API's task, manage.py sync_assets,
    the seed): the sync status reads the newest row, so it survives restarts and cache
    evictions."""

    finished_at = models.DateTimeField(db_index=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"Asset sync at {self.finished_at:%Y-%m-%d %H:%M}"


class Candle(models.Model):
    """A completed OHLCV bar. `timeframe` is a code of core.timeframes (1T, 5T, ... 1D); the
    unique (asset, timeframe, timestamp) index also serves the charts' range scans (scanned
    backwards for newest-first pages)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="candles")
    timeframe = models.CharField(max_length=8)
    timestamp = models.DateTimeField()
    open = models.DecimalField(max_digits=20, decimal_places=6)
    high = models.DecimalField(max_digits=20, decimal_places=6)
    low = models.DecimalField(max_digits=20, decimal_places=6)
    close = models.DecimalField(max_digits=20, decimal_places=6)
    volume = models.DecimalField(max_digits=24, decimal_places=6, default=0)
    trade_count = models.PositiveIntegerField(null=True, blank=True)
    vwap = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["-timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "timeframe", "timestamp"], name="core_candle_unique_bar"
            ),
        ]


class CandleRange(models.Model):
    """A span [start, end) of one asset's bars at one timeframe that was fetched from the
    provider and stored. A market that was closed leaves no bars; this row is how we know the
    span was asked for anyway and must not be fetched again."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="candle_ranges")
    timeframe = models.CharField(max_length=8)
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["asset", "timeframe", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="core_candlerange_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.timeframe} [{self.start}, {self.end})"


class WatchList(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlists"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    is_global = models.BooleanField(
        default=False,
        help_text="Shared by the firm: every trader reads it with ?global=true; only its "
        "owner (staff) changes it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="core_watchlist_one_default_per_user",
            ),
        ]


class WatchListAsset(models.Model):
    watchlist = models.ForeignKey(WatchList, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["watchlist", "asset"], name="core_watchlist_asset_once"
            ),
        ]
