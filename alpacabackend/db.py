"""Model conventions every app shares (the lowest layer: no app imports here)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


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


def count_of(queryset, fk: str):
    """How many rows of `queryset` point at the outer row: a correlated subquery, so the
    list neither joins nor groups (and its pagination count ignores it); several such counts
    over several relations never multiply each other as joins would."""
    counted = (
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
