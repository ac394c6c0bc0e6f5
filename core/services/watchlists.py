"""Watchlists: each user's lists of assets; exactly one of a user's lists is the default
(the first list created becomes it; deleting it promotes the oldest remaining list)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from alpacabackend.api.errors import InvalidInput, NotFound, StateConflict
from core.models import Asset, WatchList, WatchListAsset


def watchlist_check_editable(*, watchlist: WatchList, user) -> WatchList:
    """A list the firm shares with every trader (`is_global`) changes only through staff:
    its trader owner may read it, not rename, empty or delete what every trader sees."""
    if watchlist.is_global and not user.is_staff:
        raise StateConflict(
            "The firm shares this watchlist with every trader: only staff can change it.",
            code="WATCHLIST_SHARED",
        )
    return watchlist


def _lock_user_lists(user) -> None:
    """Default-flag changes are serialised per user by locking the user's row: it exists
    before the user's first list does, so two concurrent first creates queue up instead of
    both making a default (and one of them hitting the one-default constraint)."""
    user_id = getattr(user, "pk", user)
    list(get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk"))


def watchlist_create(
    *, user, name: str, description: str = "", is_active: bool = True, is_default: bool = False
) -> WatchList:
    with transaction.atomic():
        _lock_user_lists(user)
        has_default = WatchList.objects.filter(user=user, is_default=True).exists()
        if is_default and has_default:
            WatchList.objects.filter(user=user, is_default=True).update(is_default=False)
        return WatchList.objects.create(
            user=user,
            name=name,
            description=description,
            is_active=is_active,
            is_default=is_default or not has_default,
        )


def watchlist_update(*, watchlist: WatchList, **fields) -> WatchList:
    """Updates name/description/is_active; `is_default=True` moves the default flag here.
    `is_default=False` on the default list is refused (InvalidInput): a user always has one
    default list, so it moves only by making another list the default."""
    with transaction.atomic():
        _lock_user_lists(watchlist.user_id)
        make_default = fields.pop("is_default", None)
        watchlist.refresh_from_db(fields=["is_default"])
        if make_default is False and watchlist.is_default:
            message = (
                "This is your default watchlist and you always have one: make another list "
                "the default instead."
            )
            raise InvalidInput(
                f"is_default: {message}", code="DEFAULT_REQUIRED", errors={"is_default": [message]}
            )
        if make_default and not watchlist.is_default:
            WatchList.objects.filter(user_id=watchlist.user_id, is_default=True).update(
                is_default=False
            )
            watchlist.is_default = True
        for name, value in fields.items():
            setattr(watchlist, name, value)
        watchlist.save()
    return watchlist


def watchlist_delete(*, watchlist: WatchList) -> None:
    with transaction.atomic():
        _lock_user_lists(watchlist.user_id)
        was_default = watchlist.is_default
        user_id = watchlist.user_id
        watchlist.delete()
        successor = WatchList.objects.filter(user_id=user_id).order_by("created_at", "id").first()
        if was_default and successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])


def watchlist_add_asset(*, watchlist: WatchList, asset: Asset) -> tuple[WatchListAsset, bool]:
    """Adds the asset (idempotent: adding it twice keeps one entry). (entry, created)."""
    entry, created = WatchListAsset.objects.get_or_create(watchlist=watchlist, asset=asset)
    if created:
        WatchList.objects.filter(pk=watchlist.pk).update(updated_at=entry.added_at)
    return entry, created


def watchlist_remove_asset(*, watchlist: WatchList, asset_id) -> None:
    deleted, _ = WatchListAsset.objects.filter(watchlist=watchlist, asset_id=asset_id).delete()
    if not deleted:
        raise NotFound("This asset is not on the watchlist.", code="ASSET_NOT_IN_WATCHLIST")
