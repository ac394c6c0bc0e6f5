"""Staff writes that no other package owns: users, plans, assets, watchlists' flags, account
notes, and the status change door onto the lifecycle services.

Account status changes never write `status` here: `account_status_change` maps the wanted
status onto `prop_firm.services.lifecycle` (which locks, checks the transition and audits).
"""

from django.db import transaction
from django.utils import timezone

from alpacabackend.api.errors import InvalidInput, StateConflict
from core.models import Asset, WatchList
from core.services.watchlists import watchlist_update
from prop_firm.models import AccountStatus, PropFirmAccount, PropFirmPlan
from prop_firm.services import lifecycle

NOTE_ADDED = "NOTE"
NOTES_UPDATED = "NOTES_UPDATED"


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------

USER_EDITABLE = ("name", "avatar", "is_active", "is_verified", "stripe_account_id")


def user_update(*, user, actor, **fields):
    """Staff edit of a user's profile fields (not the login email, not the password)."""
    if user.pk == actor.pk and fields.get("is_active") is False:
        raise StateConflict("You cannot deactivate your own account.", code="CANNOT_CHANGE_SELF")
    changed = [name for name in USER_EDITABLE if name in fields]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
    return user


def user_toggle_admin(*, user, actor):
    if user.pk == actor.pk:
        raise StateConflict("You cannot change your own admin rights.", code="CANNOT_CHANGE_SELF")
    user.is_staff = not user.is_staff
    user.save(update_fields=["is_staff"])
    return user


def user_toggle_verified(*, user, actor):
    user.is_verified = not user.is_verified
    user.save(update_fields=["is_verified"])
    return user


def user_delete(*, user, actor) -> None:
    """Deletes a user without prop accounts; one with accounts (their ledgers are kept for
    good) is deactivated instead by PATCH `is_active=false`."""
    if user.pk == actor.pk:
        raise StateConflict("You cannot delete your own account.", code="CANNOT_CHANGE_SELF")
    if PropFirmAccount.objects.filter(user=user).exists():
        raise StateConflict(
            "This user has prop accounts, which are kept for the record: deactivate the user "
            "instead.",
            code="USER_HAS_ACCOUNTS",
        )
    user.delete()


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


def _locked_account(account: PropFirmAccount) -> PropFirmAccount:
    return PropFirmAccount.objects.select_for_update(of=("self",)).get(pk=account.pk)


def account_notes_update(*, account: PropFirmAccount, notes: str, actor) -> PropFirmAccount:
    with transaction.atomic():
        locked = _locked_account(account)
        before = {"notes": locked.notes}
        locked.notes = notes
        locked.save(update_fields=["notes", "updated_at"])
        lifecycle.activity_record(
            account=locked,
            kind=NOTES_UPDATED,
            actor=actor,
            message="Staff notes updated.",
            before=before,
            after={"notes": notes},
        )
    return locked


def account_note_add(*, account: PropFirmAccount, note: str, actor) -> PropFirmAccount:
    """Appends a dated line to the account's notes, and audits it."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput("note: A note is required.", errors={"note": ["A note is required."]})
    with transaction.atomic():
        locked = _locked_account(account)
        line = f"[{timezone.now():%Y-%m-%d %H:%M} {actor.email}] {note}"
        locked.notes = f"{locked.notes}\n{line}" if locked.notes else line
        locked.save(update_fields=["notes", "updated_at"])
        lifecycle.activity_record(
            account=locked, kind=NOTE_ADDED, actor=actor, message=note, after={"note": note}
        )
    return locked


def account_status_change(
    *, account: PropFirmAccount, status: str, reason: str = "", actor, via: str = "staff"
) -> PropFirmAccount:
    """The wanted status through the lifecycle service that owns that transition. Without a
    reason the audit record still says who did it and through what (`via`)."""
    reason = (reason or "").strip() or (
        f"Status set to {status} by {actor.email} through {via} (no reason given)."
    )
    current = account.status
    if status == current:
        raise StateConflict(
            f"Account {account.account_number} is already {current.lower()}.",
            code="INVALID_TRANSITION",
        )
    if status == AccountStatus.ACTIVE and current == AccountStatus.PENDING:
        return lifecycle.account_activate(account=account, actor=actor)
    if status == AccountStatus.ACTIVE:
        return lifecycle.account_reinstate(account=account, reason=reason, actor=actor)
    if status == AccountStatus.SUSPENDED:
        return lifecycle.account_suspend(account=account, reason=reason, actor=actor)
    if status == AccountStatus.FAILED:
        return lifecycle.account_fail(account=account, reason=reason, actor=actor)
    if status == AccountStatus.CLOSED:
        return lifecycle.account_close(account=account, reason=reason, actor=actor)
    raise StateConflict(
        "An account passes a stage only by meeting its objectives.", code="INVALID_TRANSITION"
    )


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


def plan_create(**fields) -> PropFirmPlan:
    plan = PropFirmPlan(**fields)
    plan.full_clean()
    plan.save()
    return plan


def plan_update(*, plan: PropFirmPlan, **fields) -> PropFirmPlan:
    """Edits a plan. Running accounts keep their own B0 (the rule engine reads the account's
    `starting_balance`); the plan's own starting balance is fixed once it has accounts, so
    the plan never describes an account differently from what was deposited."""
    if (
        "starting_balance" in fields
        and fields["starting_balance"] != plan.starting_balance
        and plan.accounts.exists()
    ):
        raise StateConflict(
            "This plan has accounts: its starting balance can no longer change. Create a new "
            "plan instead.",
            code="PLAN_IN_USE",
        )
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean()
    plan.save()
    return plan


def plan_delete(*, plan: PropFirmPlan) -> None:
    if plan.accounts.exists():
        raise StateConflict(
            "This plan has accounts: deactivate it instead of deleting it.", code="PLAN_IN_USE"
        )
    plan.delete()


def plan_toggle_active(*, plan: PropFirmPlan) -> PropFirmPlan:
    plan.is_active = not plan.is_active
    plan.save(update_fields=["is_active", "updated_at"])
    return plan


# --------------------------------------------------------------------------------------
# Assets and watchlists
# --------------------------------------------------------------------------------------

ASSET_EDITABLE = (
    "name",
    "status",
    "tradable",
    "shortable",
    "fractionable",
    "easy_to_borrow",
    "marginable",
)


def asset_update(*, asset: Asset, **fields) -> Asset:
    changed = [name for name in ASSET_EDITABLE if name in fields]
    for name in changed:
        setattr(asset, name, fields[name])
    if changed:
        asset.save(update_fields=[*changed, "updated_at"])
    return asset


def asset_toggle_tradable(*, asset: Asset) -> Asset:
    return asset_update(asset=asset, tradable=not asset.tradable)


def watchlist_toggle_active(*, watchlist: WatchList) -> WatchList:
    return watchlist_update(watchlist=watchlist, is_active=not watchlist.is_active)
