"""API keys of the Alpaca-compatible API: one key belongs to one prop account."""

from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = ["ApiKey"]


class ApiKey(models.Model):
    """A key id (public, sent as APCA-API-KEY-ID) and the SHA-256 of its secret.

    The secret is shown once, at creation; only its hash is stored. Secrets are 40 random
    characters (about 238 bits), so a fast hash is enough: there is nothing to brute-force.
    """

    account = models.ForeignKey(
        "prop_firm.PropFirmAccount", on_delete=models.CASCADE, related_name="api_keys"
    )
    key_id = models.CharField(max_length=32, unique=True)
    secret_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        indexes = [
            models.Index(
                fields=["account"], condition=Q(revoked_at__isnull=True), name="apikey_live_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.label or 'no label'})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
