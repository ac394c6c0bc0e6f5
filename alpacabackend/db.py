"""Model and query conventions every app shares (the lowest layer: no app imports here)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.transaction import TransactionManagementError


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


_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


class PreparedQuery:
    """A read of fixed shape whose SQL Django builds once per process and database.

    Building the SQL of a queryset costs more CPU than running it for the small reads an
    order makes (issue 13: 0.5 ms through the ORM for the account's 40-column SELECT, of
    which running the SQL and making the instance is 0.15 ms). `build(**values)` returns
    the queryset; it is called once per database alias, with `samples` (one per keyword),
    and the SQL it compiles to is kept.
    Each call runs that SQL with the caller's values put where the samples were, and answers
    what the queryset would (a list): model instances with their `select_related` objects
    and annotations, `values()` dicts or `values_list()` tuples.

    A sample must reach the SQL's parameters unchanged (an exact lookup, `in` excepted, on a
    column that needs no conversion); every place it appears takes the caller's value (a
    subquery may use it again). This is checked when the SQL is built, so a shape that
    cannot be prepared fails on its first call, in any test that runs it, not with a wrong
    answer; a sample must therefore be a value the query holds nowhere else. Values are
    handed to the database driver as they are (pass ids as ints: an int beyond a 64-bit
    id's range matches nothing; strings as str), except datetimes, which are adapted as
    Django adapts a DateTimeField's value for the database (SQLite stores text).
    """

    def __init__(self, build, **samples):
        self._build = build
        self._samples = samples
        self._compiled: dict[str, _Compiled] = {}

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> list:
        compiled = self._compiled.get(using) or self._compile(using)
        if values.keys() != self._samples.keys():
            raise TypeError(f"Expected the values {sorted(self._samples)}, got {sorted(values)}.")
        connection = connections[using]
        params = list(compiled.params)
        for name, positions in compiled.slots:
            value = values[name]
            if type(value) is int and not _BIGINT_MIN <= value <= _BIGINT_MAX:
                return []  # as Django's exact lookup: an id no column can hold matches nothing
            value = _adapted(value, connection)
            for position in positions:
                params[position] = value
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return compiled.shape(rows, connection, using)

    def first(self, *, using: str = DEFAULT_DB_ALIAS, **values):
        """The first result, or None (the queryset slices itself to one row)."""
        found = self(using=using, **values)
        return found[0] if found else None

    def _compile(self, using: str) -> "_Compiled":
        queryset = self._build(**self._samples)
        if queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("A prepared query reads one SQL statement's rows only.")
        compiler = queryset.query.get_compiler(using=using)
        locks = bool(queryset.query.select_for_update)
        connection = connections[using]
        if locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        sql, params = compiler.as_sql()
        slots = []
        for name, sample in self._samples.items():
            sample = _adapted(sample, connection)
            found = [i for i, p in enumerate(params) if type(p) is type(sample) and p == sample]
            if not found:
                raise ImproperlyConfigured(
                    f"The sample of {name!r} must reach the SQL's parameters unchanged "
                    f"(not in {params!r})."
                )
            slots.append((name, tuple(found)))
        compiled = _Compiled(sql, tuple(params), tuple(slots), locks, _shape(queryset, compiler))
        self._compiled[using] = compiled
        return compiled


def _adapted(value, connection):
    """A value as a DateTimeField lookup hands it to the database (`get_db_prep_value`)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[str, tuple[int, ...]], ...]
    locks: bool
    shape: Callable


def _converter(compiler) -> Callable:
    """What `SQLCompiler.results_iter` does to each row: cut it to the selected columns and
    apply the database's and the fields' converters (e.g. SQLite's text decimals and
    datetimes), worked out once. The converters take the calling thread's connection."""
    width = compiler.col_count
    converters = compiler.get_converters([s[0] for s in compiler.select[:width]])
    converters = list(converters.items())

    def converted(rows, connection) -> list[list]:
        out = []
        for row in rows:
            row = list(row[:width])
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            out.append(row)
        return out

    return converted


def _shape(queryset, compiler) -> Callable:
    """How the queryset's own iterable turns rows into results (ModelIterable,
    ValuesIterable, ValuesListIterable), from what the compiler worked out once."""
    from django.db.models.query import (
        ModelIterable,
        ValuesIterable,
        ValuesListIterable,
        get_related_populators,
    )

    kind = queryset._iterable_class
    converted = _converter(compiler)
    if kind is ModelIterable:
        select, klass_info = compiler.select, compiler.klass_info
        annotations = list((compiler.annotation_col_map or {}).items())
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]

        def instances(rows, connection, using):
            populators = get_related_populators(klass_info, select, using)
            out = []
            for row in converted(rows, connection):
                instance = model.from_db(using, init_list, row[start:end])
                for populator in populators:
                    populator.populate(row, instance)
                for name, position in annotations:
                    setattr(instance, name, row[position])
                out.append(instance)
            return out

        return instances
    if kind is ValuesIterable:
        query = queryset.query
        names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )

        def dicts(rows, connection, using):
            return [dict(zip(names, row, strict=True)) for row in converted(rows, connection)]

        return dicts
    if kind is ValuesListIterable:

        def tuples(rows, connection, using):
            return [tuple(row) for row in converted(rows, connection)]

        return tuples
    raise ImproperlyConfigured(f"A prepared query cannot answer with {kind.__name__}.")
