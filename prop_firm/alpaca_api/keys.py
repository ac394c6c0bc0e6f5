"""API keys: create (the secret shown once), list, revoke, and authenticate a request.

The secret is stored only as its SHA-256; a request's secret is compared with
`hmac.compare_digest`, so the comparison takes the same time whatever it matches.
"""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from alpacabackend.api.errors import NotFound
from prop_firm.alpaca_api.models import ApiKey
from prop_firm.models import PropFirmAccount
from prop_firm.services.lifecycle import activity_record

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
# last_used_at is written at most this often per key: a bot polling every second must not
# turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CreatedKey:
    api_key: ApiKey
    secret_key: str  # shown once, never stored


def api_key_create(*, account: PropFirmAccount, label: str = "", user=None) -> CreatedKey:
    """A new key for `account`; the answer carries the only copy of the secret."""
    key_id = "PK" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(18))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            account=account,
            key_id=key_id,
            secret_hash=_secret_hash(secret),
            label=label,
            created_by=user,
        )
        activity_record(
            account=account,
            actor=user,
            kind="API_KEY_CREATED",
            message=f"API key {key_id} created" + (f" ({label})." if label else "."),
            after={"key_id": key_id, "label": label},
        )
    return CreatedKey(api_key=api_key, secret_key=secret)


def api_key_list(*, account: PropFirmAccount) -> QuerySet[ApiKey]:
    """The account's keys still in force, newest first."""
    return ApiKey.objects.filter(account=account, revoked_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def api_key_get(*, account: PropFirmAccount, key_id: str) -> ApiKey:
    api_key = api_key_list(account=account).filter(key_id=key_id).first()
    if api_key is None:
        raise NotFound("API key not found.", code="API_KEY_NOT_FOUND")
    return api_key


def api_key_revoke(*, api_key: ApiKey, user=None) -> ApiKey:
    """Revokes at once: the next request with this key is refused. Revoking twice is a no-op."""
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = user
            locked.save(update_fields=["revoked_at", "revoked_by"])
            activity_record(
                account=locked.account,
                actor=user,
                kind="API_KEY_REVOKED",
                message=f"API key {locked.key_id} revoked.",
                before={"key_id": locked.key_id},
            )
    return locked


def api_key_authenticate(*, key_id: str, secret: str) -> ApiKey | None:
    """The key in force that these credentials name, with its account and user; None when
    the key is unknown, revoked or the secret does not match."""
    api_key = (
        ApiKey.objects.select_related("account", "account__user", "account__plan")
        .filter(key_id=key_id, revoked_at__isnull=True)
        .first()
    )
    # Compare even when the key is unknown, so timing does not tell which key ids exist.
    expected = api_key.secret_hash if api_key is not None else _secret_hash("")
    if not hmac.compare_digest(expected, _secret_hash(secret)) or api_key is None:
        return None
    if not api_key.account.user.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
