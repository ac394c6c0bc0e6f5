"""Asset sync: the provider's asset list mirrored into the Asset table."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import StateConflict
from core.models import Asset, AssetClass, AssetSync
from core.providers import get_provider
from core.selectors import assets_cache_clear

logger = logging.getLogger(__name__)

SYNC_LOCK_KEY = "core:assets:sync_lock"
SYNC_LOCK_SECONDS = 15 * 60
SYNC_EVERY = timedelta(hours=24)
SEEDED_KEY = "core:assets:seeded"
FIELDS = (
    "name",
    "exchange",
    "status",
    "tradable",
    "shortable",
    "fractionable",
    "easy_to_borrow",
    "marginable",
    "provider_id",
)


@dataclass(frozen=True)
class AssetSyncResult:
    created: int
    updated: int
    deactivated: int
    total: int


def assets_sync_is_running() -> bool:
    return cache.get(SYNC_LOCK_KEY) is not None


def assets_last_sync_at() -> datetime | None:
    """When the last sync finished, in any process (stored in the database, not the cache)."""
    return AssetSync.objects.order_by("-finished_at").values_list("finished_at", flat=True).first()


def assets_sync(*, provider=None, progress=None) -> AssetSyncResult:
    """Upserts every asset the provider lists (by symbol and class); assets it no longer lists
    become inactive and untradable, never deleted (trades point at them). The provider is
    asked before any write, so a provider failure changes nothing. One sync at a time
    (StateConflict otherwise). `progress(iterable)` may wrap the upsert loop (tqdm)."""
    if not cache.add(SYNC_LOCK_KEY, timezone.now().isoformat(), timeout=SYNC_LOCK_SECONDS):
        raise StateConflict("An asset sync is already running.", code="SYNC_IN_PROGRESS")
    try:
        listed = (provider or get_provider()).list_assets()
        known = {value for value, _ in AssetClass.choices}
        listed = [info for info in listed if info.asset_class in known]
        result = _upsert(listed, progress or (lambda items: items))
        logger.info("Asset sync: %s", result)
        return result
    finally:
        cache.delete(SYNC_LOCK_KEY)


def _upsert(listed, progress) -> AssetSyncResult:
    with transaction.atomic():
        existing = {(a.symbol, a.asset_class): a for a in Asset.objects.all()}
        to_create, to_update = [], []
        for info in progress(listed):
            asset = existing.pop((info.symbol, info.asset_class), None)
            if asset is None:
                to_create.append(
                    Asset(
                        symbol=info.symbol,
                        asset_class=info.asset_class,
                        **{f: getattr(info, f) for f in FIELDS},
                    )
                )
                continue
            if any(getattr(asset, f) != getattr(info, f) for f in FIELDS):
                for f in FIELDS:
                    setattr(asset, f, getattr(info, f))
                to_update.append(asset)
        now = timezone.now()
        for asset in to_update:
            asset.updated_at = now
        Asset.objects.bulk_create(to_create, batch_size=1000, ignore_conflicts=True)
        Asset.objects.bulk_update(to_update, [*FIELDS, "updated_at"], batch_size=1000)
        gone = [a.pk for a in existing.values() if a.status != "inactive" or a.tradable]
        deactivated = Asset.objects.filter(pk__in=gone).update(
            status="inactive", tradable=False, updated_at=now
        )
        # Bulk writes send no signal: this process's orders see the sync once it commits.
        transaction.on_commit(assets_cache_clear)
        result = AssetSyncResult(
            created=len(to_create),
            updated=len(to_update),
            deactivated=deactivated,
            total=len(listed),
        )
        AssetSync.objects.create(
            finished_at=now,
            created=result.created,
            updated=result.updated,
            deactivated=result.deactivated,
            total=result.total,
        )
    return result


def assets_seed_if_empty() -> None:
    """With the simulated market an empty asset table fills itself (about 190 assets, no
    network), so a fresh checkout shows assets at once. Alpaca's ~12,000 assets are synced
    explicitly (manage.py sync_assets, the staff endpoint or the daily beat task)."""
    if cache.get(SEEDED_KEY):
        return
    if not Asset.objects.exists():
        provider = get_provider()
        if provider.name != "simulated":
            return
        try:
            assets_sync(provider=provider)
        except StateConflict:
            return  # another request is seeding right now
    cache.set(SEEDED_KEY, True, timeout=None)
