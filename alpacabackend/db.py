"""Model and query conventions every app shares (the lowest layer: no app imports here)."""

import functools
import itertools
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_save, pre_save
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


_PLACEHOLDER = re.compile(r"%[%s]")
_NAMES = itertools.count(1)


class Statement:
    """One SQL statement of fixed text whose parameters are the caller's values at known
    positions (`slots[k]`: where the k-th value goes) and constants everywhere else.

    On PostgreSQL it is also PREPAREd, once per connection, as a server-side prepared
    statement, so the server stops parsing and planning it on every call (issue 13: 0.15 ms
    of PostgreSQL's CPU for the account's lock, 0.6-1.0 ms for the trade list's statement;
    PostgreSQL keeps a generic plan once it is as good as a custom one). The constants are
    written into the prepared text as literals, so a plan may still use a partial index on
    them. It then runs as `EXECUTE name(values)`, the same statement, planned once.
    Not used: on SQLite; with `DB_PREPARED_STATEMENTS=False` (a pooler in transaction
    mode, such as PgBouncer's, hands each transaction another server connection); while
    the connection logs its queries (tests counting or reading statements, DEBUG), so
    the log shows the statement itself; and when PREPARE would not keep a value's type
    (a value PostgreSQL can only read as text, e.g. a number in the select list).
    """

    __slots__ = ("_plain_only", "_server", "constants", "name", "slots", "sql")

    def __init__(self, sql: str, constants: Sequence, slots: Sequence[Sequence[int]]):
        self.sql = sql
        self.constants = tuple(constants)
        self.slots = tuple(tuple(positions) for positions in slots)
        self.name = f"pq_{next(_NAMES)}"
        self._server: tuple[str, str] | None = None  # (PREPARE text, EXECUTE text)
        self._plain_only = False

    def execute(self, cursor, values: Sequence) -> None:
        """Runs the statement with the caller's `values` on `cursor` (a Django cursor)."""
        cursor.execute(*self.command(cursor.db, values))

    def command(self, connection, values: Sequence) -> tuple[str, list]:
        """The SQL and parameters that run the statement with `values` on `connection`."""
        if self._server_side(connection, values):
            return self._server[1], list(values)
        params = list(self.constants)
        for value, positions in zip(values, self.slots, strict=True):
            for position in positions:
                params[position] = value
        return self.sql, params

    def _server_side(self, connection, values: Sequence) -> bool:
        if (
            self._plain_only
            or connection.vendor != "postgresql"
            or connection.queries_logged
            or not settings.DB_PREPARED_STATEMENTS
        ):
            return False
        connection.ensure_connection()
        raw = connection.connection
        known = getattr(connection, "_prepared_statements", None)
        if known is None or known[0] is not raw:  # a new connection knows no statement
            known = (raw, {})
            connection._prepared_statements = known
        prepared = known[1].get(self.name)
        if prepared is None:
            prepared = known[1][self.name] = self._prepare(connection, raw, values)
        return prepared

    def _prepare(self, connection, raw, values: Sequence) -> bool:
        """PREPAREs the statement on this connection (through the driver's own cursor:
        connection setup, like Django's time zone, is not a query of the request). Inside a
        transaction it runs in a savepoint, so a statement the server refuses leaves the
        transaction as it was and runs plain from then on."""
        if self._server is None:
            self._server = self._server_texts(raw)
        in_transaction = not connection.get_autocommit()
        with raw.cursor() as cursor:
            try:
                if in_transaction:
                    cursor.execute("SAVEPOINT prepared_statement")
                cursor.execute(self._server[0])
                cursor.execute(
                    "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = %s",
                    [self.name],
                )
                types = cursor.fetchone()[0]
                if in_transaction:
                    cursor.execute("RELEASE SAVEPOINT prepared_statement")
            except connection.Database.Error:
                if in_transaction:
                    cursor.execute("ROLLBACK TO SAVEPOINT prepared_statement")
                    cursor.execute("RELEASE SAVEPOINT prepared_statement")
                self._plain_only = True
                return False
            # PostgreSQL types a parameter it cannot place as text: a value that is not a
            # string would then come back as one. Such a statement runs plain.
            if any(
                t in ("text", "unknown") and not isinstance(value, str | None)
                for t, value in zip(types, values, strict=True)
            ):
                cursor.execute(f"DEALLOCATE {self.name}")
                self._plain_only = True
                return False
        return True

    def _server_texts(self, raw) -> tuple[str, str]:
        slot_of = {position: k for k, positions in enumerate(self.slots) for position in positions}
        with raw.cursor() as cursor:
            literal = iter(
                cursor.mogrify("%s", [value]).decode() for value in self.constants
            )  # consumed in order below: one literal per constant position
            positions = itertools.count()

            def replaced(match) -> str:
                if match.group() == "%%":
                    return "%"
                position = next(positions)
                constant = next(literal)
                return f"${slot_of[position] + 1}" if position in slot_of else constant

            text = _PLACEHOLDER.sub(replaced, self.sql)
        arguments = ", ".join(["%s"] * len(self.slots))
        execute = f"EXECUTE {self.name}({arguments})" if self.slots else f"EXECUTE {self.name}"
        return f"PREPARE {self.name} AS {text}", execute


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
        bound = []
        for name in compiled.names:
            value = values[name]
            if type(value) is int and not _BIGINT_MIN <= value <= _BIGINT_MAX:
                return []  # as Django's exact lookup: an id no column can hold matches nothing
            bound.append(_adapted(value, connection))
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        with connection.cursor() as cursor:
            compiled.statement.execute(cursor, bound)
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
        compiled = _Compiled(
            Statement(sql, params, [positions for _, positions in slots]),
            tuple(name for name, _ in slots),
            locks,
            _shape(queryset, compiler),
        )
        self._compiled[using] = compiled
        return compiled


def _adapted(value, connection):
    """A value as a DateTimeField lookup hands it to the database (`get_db_prep_value`)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


@dataclass(frozen=True, slots=True)
class _Compiled:
    statement: Statement
    names: tuple[str, ...]  # the caller's values, in the order of the statement's slots
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


# --- writes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Write:
    statement: Statement
    fields: tuple  # whose values fill the statement's slots, in order (an UPDATE: then the pk)
    preps: tuple  # for each of those, its value as the database takes it (`_prep_of`)
    returning: tuple  # an INSERT's columns the database answers (the id)
    converters: tuple  # for each of those, the converters Django applies to it


_AWARE = datetime(2000, 1, 1, tzinfo=UTC)
_DATE = date(2000, 1, 1)
_DECIMAL = Decimal("1.5")
_INT = 2**40  # not one of the small ints Python shares
_TEXT_FIELDS = (models.CharField, models.TextField)
_INTEGER_FIELDS = (
    models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField,
    models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
    models.PositiveBigIntegerField, models.PositiveSmallIntegerField,
)  # fmt: skip


def _prep_of(field, connection) -> Callable:
    """`field.get_db_prep_save` on this connection, with a shortcut for the values it hands
    the driver unchanged (issue 13: its layers of calls were a tenth of an order's CPU).

    The shortcut takes only None or a value of the exact type the field keeps (a str, a
    finite Decimal, an int, a bool, an aware datetime, a date, a UUID), only for Django's own
    field classes, whose preparation of such a value is the value itself, and only where this
    database adapts such a value to itself (checked here, once); anything else goes through
    `get_db_prep_save`. Pinned against it for every field of the order path's models.
    """
    slow = functools.partial(field.get_db_prep_save, connection=connection)
    if field.is_relation:
        relation = type(field) in (models.ForeignKey, models.OneToOneField)
        plain = relation and not field.target_field.is_relation
        unchanged = _unchanged_values(field.target_field, connection) if plain else None
    else:
        unchanged = _unchanged_values(field, connection)
    if unchanged is None:
        return slow
    return lambda value: value if value is None or unchanged(value) else slow(value)


def _unchanged_values(field, connection) -> Callable | None:
    """Which values `field` (one of Django's own classes) hands this database unchanged;
    None where its adaptation changes them or refuses the probe (e.g. SQLite without
    USE_TZ refuses an aware datetime)."""
    try:
        return _unchanged_probe(field, connection)
    except (TypeError, ValueError):
        return None


def _unchanged_probe(field, connection) -> Callable | None:
    kind, ops = type(field), connection.ops
    if kind in _TEXT_FIELDS:
        return lambda value: type(value) is str
    if kind is models.BooleanField:
        return lambda value: type(value) is bool
    if kind in _INTEGER_FIELDS:
        if issubclass(kind, models.AutoField | models.BigAutoField | models.SmallAutoField):
            same = ops.validate_autopk_value(_INT) is _INT
        else:
            same = ops.adapt_integerfield_value(_INT, field.get_internal_type()) is _INT
        return (lambda value: type(value) is int) if same else None
    if kind is models.DecimalField:
        if ops.adapt_decimalfield_value(_DECIMAL, field.max_digits, field.decimal_places) is (
            _DECIMAL
        ):
            return lambda value: type(value) is Decimal and value.is_finite()
        return None
    if kind is models.DateTimeField:
        if ops.adapt_datetimefield_value(_AWARE) is _AWARE:
            return lambda value: type(value) is datetime and value.utcoffset() is not None
        return None
    if kind is models.DateField:
        if ops.adapt_datefield_value(_DATE) is _DATE:
            return lambda value: type(value) is date
        return None
    if kind is models.UUIDField and connection.features.has_native_uuid_field:
        return lambda value: type(value) is uuid.UUID
    return None


_WRITES: dict[tuple, _Write | None] = {}
# Models whose own `save` adds nothing `row_save` does not do itself.
_PLAIN_SAVES = (models.Model.save, AppendOnlyModel.save)


def row_save(
    instance: models.Model,
    *,
    update_fields: Iterable[str] | None = None,
    using: str | None = None,
    batched: bool = False,
) -> None:
    """`instance.save(update_fields=...)` with its SQL built once per model, database and
    list of fields (issue 13: Django's `save()` spent about 1 ms of Python building each
    INSERT or UPDATE of the order path, whose running took a tenth of that).

    The same steps as `Model.save`: related objects checked and their ids taken, every
    field's `pre_save` (auto_now, defaults), the values prepared by each field for the
    database, the pre_save and post_save signals, `_state` updated and the id the INSERT
    returns set. An instance being added is INSERTed. One loaded from the database is
    UPDATEd (all its fields, or `update_fields`) and must still exist: where `save()` would
    INSERT it again, this raises DatabaseError. An append-only row refuses an update as its
    `save()` does. Whatever this form does not cover goes through `save()` itself: models
    with parents, proxies or a save() of their own, deferred fields, a value that is an
    expression, a field with its own placeholder.

    `batched`: inside `writes_batched()`, the write goes to the database with the next
    statement of the transaction instead of on its own (one round trip less). The caller
    holds the row's lock (an UPDATE cannot miss its row) and needs nothing the database
    answers: an INSERT's id stays unknown (None). Outside a batch, or for a model someone
    listens to after its saves, it is written at once.
    """
    model = type(instance)
    meta = model._meta
    using = using or router.db_for_write(model, instance=instance)
    connection = connections[using]
    # One statement per set of fields, whatever order the caller names them in.
    fields = None if update_fields is None else tuple(sorted(set(update_fields)))
    adding = instance._state.adding
    if (
        model.save not in _PLAIN_SAVES
        or (not adding and isinstance(instance, AppendOnlyModel))
        or meta.parents
        or meta.proxy
        or meta.order_with_respect_to
        or (adding and fields is not None)
        or (adding and instance.pk is not None)
        or (not adding and instance.pk is None)
        or (not adding and fields is None and instance.get_deferred_fields())
        or not connection.features.can_return_columns_from_insert
    ):
        instance.save(update_fields=fields, using=using)
        return
    if fields == ():
        return
    instance._prepare_related_fields_for_save(operation_name="save")
    key = (model, using, adding, fields)
    if key not in _WRITES:
        _WRITES[key] = _write_build(model, connection, adding, fields)
    write = _WRITES[key]
    if write is None:  # a field writes its value with SQL of its own (e.g. a geometry)
        instance.save(update_fields=fields, using=using)
        return
    values = []
    for field, prep in zip(write.fields, write.preps, strict=True):
        value = (
            getattr(instance, field.attname)
            if field.primary_key and not adding
            else field.pre_save(instance, adding)
        )
        if hasattr(value, "resolve_expression"):
            instance.save(update_fields=fields, using=using)
            return
        values.append(prep(value))
    frozen = None if fields is None else frozenset(fields)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=frozen)
    batch = _batch_of(connection) if batched else None
    if batch is not None and not post_save.has_listeners(model):
        batch.append(write.statement.command(connection, values))
        instance._state.db = using
        instance._state.adding = False
        return
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        write.statement.execute(cursor, values)
        if adding:
            row = cursor.fetchone()
        elif cursor.rowcount != 1:
            raise DatabaseError(f"{model.__name__} {instance.pk} is not in the database.")
    if adding:
        for field, converters, value in zip(write.returning, write.converters, row, strict=True):
            for converter in converters:
                value = converter(value, field, connection)
            setattr(instance, field.attname, value)
    instance._state.db = using
    instance._state.adding = False
    post_save.send(
        sender=model, instance=instance, created=adding, update_fields=frozen, raw=False,
        using=using,
    )  # fmt: skip


class _WriteBatch(list):
    """The writes `row_save(batched=True)` queued on one connection: (SQL, parameters)."""

    def take(self) -> tuple[str, list]:
        """All of them as one string of statements and its parameters; the batch is empty."""
        sql = "; ".join(statement for statement, _ in self)
        params = [value for _, values in self for value in values]
        self.clear()
        return sql, params

    def flushing(self, execute, sql, params, many, context):
        """An execute wrapper: the queued writes run before the statement, in the same round
        trip when the two can share one string (parameters in a list, one execution)."""
        if not self:
            return execute(sql, params, many, context)
        queued_sql, queued_params = self.take()
        cursor = context["cursor"]
        if many or not isinstance(params, list | tuple) or getattr(cursor.cursor, "name", None):
            # The queue goes first, alone, on a cursor of its own: `execute` is the driver's
            # executemany for many, and a server-side cursor (`.iterator()`) declares its
            # whole string as one query.
            with cursor.db.wrap_database_errors, cursor.db.connection.cursor() as own:
                own.execute(queued_sql, queued_params)
            return execute(sql, params, many, context)
        return execute(f"{queued_sql}; {sql}", [*queued_params, *params], many, context)


def _batch_of(connection) -> _WriteBatch | None:
    return getattr(connection, "_write_batch", None)


@contextmanager
def writes_batched(using: str = DEFAULT_DB_ALIAS):
    """Inside, `row_save(batched=True)` queues its write on the connection; the queue goes
    to the database in front of the next statement that runs, in the same round trip, and
    what is still queued at the end of the block goes then (issue 13: an order's ledger
    entries and its close reach PostgreSQL with the account's UPDATE, one round trip where
    there were four). Any statement the block runs sees the queued writes, and they are in
    the transaction in the order they were made; when the block raises, the queue is
    dropped with the transaction it was part of. Use it inside `transaction.atomic()`.

    Only on PostgreSQL, whose driver runs several statements sent as one string, and not
    while the connection logs its queries (the log would hide the queued statements in
    another's text): there every write runs at once, as without the block. Nested blocks
    share the outer one's queue.
    """
    connection = connections[using]
    if (
        _batch_of(connection) is not None
        or connection.vendor != "postgresql"
        or connection.queries_logged
    ):
        yield
        return
    if connection.get_autocommit():
        raise TransactionManagementError("writes_batched() needs a transaction.")
    batch = connection._write_batch = _WriteBatch()
    try:
        with connection.execute_wrapper(batch.flushing):
            yield
            if batch:
                with connection.cursor() as cursor:
                    cursor.execute(*batch.take())
    finally:
        batch.clear()
        connection._write_batch = None


def _write_build(model, connection, adding: bool, fields) -> _Write | None:
    """The INSERT or UPDATE `Model.save` would send for these fields, as a Statement; None
    when a field puts its value in the SQL with a placeholder of its own."""
    meta = model._meta
    # Only the model's own names, quoted, are written into the SQL; every value is a parameter.
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    if adding:
        chosen = [
            f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
        ]
        returning = tuple(meta.db_returning_fields)
        returning_sql, _ = connection.ops.return_insert_columns(returning)
        columns = ", ".join(quote(f.column) for f in chosen)
        placeholders = ", ".join(["%s"] * len(chosen))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) {returning_sql}"  # noqa: S608
    else:
        chosen = [
            f
            for f in meta.local_concrete_fields
            if not f.primary_key
            and not f.generated
            and (fields is None or f.name in fields or f.attname in fields)
        ]
        if fields is not None and len(chosen) != len(set(fields)):
            unknown = set(fields) - {n for f in chosen for n in (f.name, f.attname)}
            raise ValueError(f"Not concrete fields of {meta.label}: {', '.join(sorted(unknown))}")
        returning = ()
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in chosen)
        sql = f"UPDATE {table} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
        chosen.append(meta.pk)
    if any(hasattr(f, "get_placeholder") for f in chosen):
        return None
    converters = tuple(
        tuple(
            connection.ops.get_db_converters(f.get_col(meta.db_table))
            + f.get_db_converters(connection)
        )
        for f in returning
    )
    positions = [[i] for i in range(len(chosen))]
    statement = Statement(sql, [None] * len(chosen), positions)
    preps = tuple(_prep_of(f, connection) for f in chosen)
    return _Write(statement, tuple(chosen), preps, returning, converters)
