"""Model conventions every app shares (the lowest layer: no app imports here)."""

from django.core.exceptions import ValidationError
from django.db import models


class AppendOnlyModel(models.Model):
    """Rows of an audit trail: written once, never changed or deleted by code."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{type(self).__name__} rows are append-only.")
