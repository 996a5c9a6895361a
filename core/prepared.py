"""Querysets compiled once and run many times with new values (docs/PERFORMANCE.md).

Building and compiling a queryset costs Django more CPU than SQLite spends running it: on the fill
simulator's hot paths, 58 % of the samples were the ORM assembling and compiling SQL, 17 % SQLite.
A `Prepared` query is still written with the ORM, once, in the module that owns it: its varying
values are `p.<name>` placeholders. It is compiled on first use per database connection; later
calls bind the new values into the cached SQL and go through Django's own row handling (model
instances, converters, `select_related`), so the result is what the queryset would have returned.

Only values that are plain parameters may be placeholders: a value that changes the SQL's shape
(None in a filter, a slice bound, a setting read at build time) must be part of `key` (`keyed`
builders get it). A list is `one_of(column, p, name, n)`, keyed by its length. Under tests
(`PREPARED_QUERIES_VERIFY`) every call also builds and compiles the queryset from the real values
and checks that the statement and its parameters are the same; that is also where a prepared
`select_for_update` proves it runs inside a transaction (the check is made when compiling).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import AutoField, Expression, F, sql
from django.db.models.lookups import In
from django.db.models.sql.constants import ROW_COUNT


class _Slot:
    """Where a bound value goes in a compiled statement's parameters."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Param(Expression):
    """A named value bound at execution (`p.at`, or `p("bit", IntegerField())` where Django must
    know its type, as in `F(...).bitand(...)`)."""

    def __init__(self, name: str, output_field=None):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Slot(self.name)]

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return self

    def get_group_by_cols(self):
        return []

    def __repr__(self) -> str:
        return f"Param({self.name!r})"


class _Params:
    """What a builder gets when compiling: a placeholder per name."""

    def __getattr__(self, name: str) -> Param:
        return Param(name)

    def __call__(self, name: str, output_field=None) -> Param:
        return Param(name, output_field)


class Values:
    """What a builder gets to make the plain queryset: the values themselves."""

    def __init__(self, values: dict):
        self._values = values

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __call__(self, name: str, output_field=None):
        return self._values[name]


def one_of(column: str, p, name: str, n: int) -> In:
    """`column IN (...)` with `n` placeholders (`name0` ... `name{n-1}`), for a Prepared keyed by
    `n` whose call passes `**spread(name, values)`. A lookup of its own, not `column__in=`: a
    foreign key's `__in` insists on converting each value to an id, placeholders included."""
    return In(F(column), [p(f"{name}{i}") for i in range(n)])


def spread(name: str, values) -> dict:
    """The values for `in_list(p, name, n)`. The ORM leaves out repeats of a value (and the SQL
    would have fewer placeholders): pass distinct values, as `distinct` gives them."""
    return {f"{name}{i}": v for i, v in enumerate(values)}


def distinct(values) -> list:
    """Each value once, in a stable order."""
    return sorted(set(values))


def _adapt(connection, value):
    """What Django's field would hand the driver for this value in a lookup or an UPDATE."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    if isinstance(value, dt.time):
        return connection.ops.adapt_timefield_value(value)
    return value


def _converters_once(get_converters: Callable) -> Callable:
    """A compiled statement's row converters, worked out on its first run instead of on every run
    (Django asks the backend and every column's field each time: 4 % of the simulator's CPU). They
    depend only on the statement's columns, which are the template's own objects."""
    known = {}

    def cached(expressions):
        key = tuple(map(id, expressions))
        if key not in known:
            known[key] = get_converters(expressions)
        return known[key]

    return cached


def _normalized(statement: str) -> str:
    # a lookup wraps an expression on its right in parentheses; a plain value it does not
    return statement.replace("(%s)", "%s")


class Prepared:
    """`build(p)` returns a queryset (`kind="select"`) or a `(queryset, {field: value})` pair
    (`kind="update"`), with `p.<name>` wherever a call's value goes. With `keyed`, it is
    `build(p, key)`: one statement per key (a filter that is there or not)."""

    def __init__(self, build: Callable, *, kind: str = "select", keyed: bool = False, using: str = DEFAULT_DB_ALIAS):
        if kind not in ("select", "update"):
            raise ValueError("kind is select or update")
        self.build = (lambda p, key: build(p, key)) if keyed else (lambda p, key: build(p))
        self.kind = kind
        self.using = using

    # --- compiling -------------------------------------------------------------------------------

    def _template(self, key: Hashable, connection):
        cache = connection.__dict__.setdefault("_clinicbot_prepared", {})
        entry = cache.get((id(self), key))
        if entry is None:
            entry = self._compile(_Params(), key, connection)
            cache[(id(self), key)] = entry
        return entry

    def _compile(self, p, key: Hashable, connection):
        if self.kind == "select":
            qs = self.build(p, key)
            compiler = qs.query.get_compiler(connection=connection)
        else:
            qs, values = self.build(p, key)
            query = qs.query.chain(sql.UpdateQuery)
            query.add_update_values(values)
            query.clear_select_clause()
            compiler = query.get_compiler(connection=connection)
        statement, params = compiler.as_sql()
        compiler.get_converters = _converters_once(compiler.get_converters)
        return qs, compiler, statement, tuple(params)

    def _bind(self, connection, params: tuple, values: dict) -> list:
        return [_adapt(connection, values[x.name]) if isinstance(x, _Slot) else x for x in params]

    # --- running ---------------------------------------------------------------------------------

    def _bound(self, key: Hashable, values: dict):
        connection = connections[self.using]
        qs, compiler, statement, params = self._template(key, connection)
        bound = self._bind(connection, params, values)
        if getattr(settings, "PREPARED_QUERIES_VERIFY", settings.TESTING):
            self._verify(connection, key, statement, bound, values)
        run = compiler.__class__.__new__(compiler.__class__)
        run.__dict__.update(compiler.__dict__)
        run.as_sql = lambda *args, **kwargs: (statement, bound)
        return qs, run

    def _verify(self, connection, key: Hashable, statement: str, bound: list, values: dict) -> None:
        _qs, _compiler, expected, params = self._compile(Values(values), key, connection)
        if _normalized(statement) != _normalized(expected) or list(bound) != list(params):
            raise AssertionError(
                f"prepared query differs from the ORM's:\n{statement}\n{bound}\n!=\n{expected}\n{list(params)}"
            )

    def all(self, key: Hashable = None, **values) -> list:
        """The rows the queryset would give (models, dicts or tuples, as built)."""
        qs, run = self._bound(key, values)
        query = qs.query.__class__.__new__(qs.query.__class__)
        query.__dict__.update(qs.query.__dict__)
        query.get_compiler = lambda using=None, connection=None, elide_empty=True: run
        clone = qs.__class__.__new__(qs.__class__)
        clone.__dict__.update(qs.__dict__)
        clone._result_cache = None
        clone._prefetch_done = False
        clone._query = query
        return list(clone)

    def first(self, key: Hashable = None, **values):
        rows = self.all(key, **values)
        return rows[0] if rows else None

    def get(self, key: Hashable = None, **values):
        """The one row, as `QuerySet.get` gives it (DoesNotExist when there is none)."""
        rows = self.all(key, **values)
        if len(rows) == 1:
            return rows[0]
        model = self._template(key, connections[self.using])[0].model
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}")

    def update(self, key: Hashable = None, **values) -> int:
        _qs, run = self._bound(key, values)
        with transaction.mark_for_rollback_on_error(using=self.using):
            return run.execute_sql(ROW_COUNT)


class PreparedInsert:
    """INSERTs of `model` rows, compiled once per connection and number of rows as `bulk_create`
    compiles them (its columns, its RETURNING of the primary key), so that a call works out only its
    values, each with the field's own `pre_save` and `get_db_prep_save`, as Django's compiler does.
    A column whose value is a query (a `Subquery`) is built by `expressions(p)` with placeholders,
    as `Prepared`'s builders are, and each call passes their values. Rows must be new (no primary key
    set) and hold plain values. Under tests each call is checked against Django's own compile of the
    same rows. No signals are sent (none of clinicbot's models has a receiver)."""

    def __init__(self, model, *, expressions: Callable | None = None, using: str = DEFAULT_DB_ALIAS):
        self.model = model
        self.expressions = expressions or (lambda p: {})
        self.using = using
        opts = model._meta
        self.fields = [f for f in opts.concrete_fields if not f.generated and not isinstance(f, AutoField)]
        self.returning = opts.db_returning_fields
        # what bulk_create handles that this does not: a database default (its placeholder value is
        # an expression) and a clock of Django's own (the check under tests would read it twice)
        unsupported = [f.name for f in self.fields
                       if f.has_db_default() or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        if unsupported:
            raise ValueError(f"{model.__name__}: a prepared INSERT cannot fill {unsupported}: use bulk_create")

    def _template(self, n: int, connection):
        cache = connection.__dict__.setdefault("_clinicbot_prepared", {})
        entry = cache.get((id(self), n))
        if entry is None:
            entry = self._compile(_Params(), [self.model() for _ in range(n)], connection)
            expressions = self.expressions(_Params())
            compiler = entry[0]
            # each query-valued column's own SQL and parameters (placeholders), as the statement has them
            by_column = {
                name: compiler.field_as_sql(field, None, compiler.prepare_value(field, expressions[name]))
                for field in self.fields
                if (name := field.attname) in expressions
            }
            entry = (*entry, by_column)
            cache[(id(self), n)] = entry
        return entry

    def _compile(self, p, objs: list, connection):
        for obj in objs:
            for name, expression in self.expressions(p).items():
                setattr(obj, name, expression)
        query = sql.InsertQuery(self.model)
        query.insert_values(self.fields, objs)
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = self.returning
        [(statement, params)] = compiler.as_sql()
        return compiler, statement, tuple(params)

    def _bind(self, connection, compiler, by_column: dict, objs: list, values: dict) -> list:
        """The statement's parameters, laid out by Django's own `assemble_as_sql` as `as_sql` lays
        them out (PostgreSQL's compiler turns several rows of plain values into one array per column,
        `INSERT ... SELECT * FROM UNNEST(...)`)."""
        rows = []
        for obj in objs:
            row = []
            for field in self.fields:
                if field.attname in by_column:
                    statement, params = by_column[field.attname]
                    row.append(_Compiled(statement, [
                        _adapt(connection, values[x.name]) if isinstance(x, _Slot) else x for x in params
                    ]))
                    continue
                value = compiler.pre_save_val(field, obj)
                if hasattr(value, "resolve_expression"):
                    raise TypeError(f"{field.attname}: a prepared INSERT takes plain values (expressions go in `expressions`)")
                row.append(compiler.prepare_value(field, value))
            rows.append(row)
        _placeholders, param_rows = compiler.assemble_as_sql(self.fields, rows)
        return [*(x for row in param_rows for x in row), *compiler.returning_params]

    def create(self, objs, **values) -> list:
        """INSERT the rows; each gets its primary key and is marked saved, as `bulk_create` leaves it."""
        objs = list(objs)
        if not objs:
            return objs
        connection = connections[self.using]
        batch = max(connection.ops.bulk_batch_size(self.fields, objs), 1)
        if len(objs) > batch:
            # more values than the database takes in one statement: in batches, as bulk_create does
            with transaction.atomic(using=self.using, savepoint=False):
                for start in range(0, len(objs), batch):
                    self.create(objs[start:start + batch], **values)
            return objs
        for obj in objs:
            if obj.pk is not None:
                raise ValueError("a prepared INSERT makes new rows: this one has a primary key")
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        compiler, statement, _params, by_column = self._template(len(objs), connection)
        bound = self._bind(connection, compiler, by_column, objs, values)
        if getattr(settings, "PREPARED_QUERIES_VERIFY", settings.TESTING):
            self._verify(connection, statement, bound, objs, values)
        run = compiler.__class__.__new__(compiler.__class__)
        run.__dict__.update(compiler.__dict__)
        run.query = copy.copy(compiler.query)
        run.query.objs = objs
        run.as_sql = lambda: [(statement, bound)]
        with transaction.mark_for_rollback_on_error(using=self.using):
            rows = run.execute_sql(self.returning)
        for obj, row in zip(objs, rows, strict=True):
            for value, field in zip(row, self.returning, strict=True):
                setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = self.using
        return objs

    def _verify(self, connection, statement: str, bound: list, objs: list, values: dict) -> None:
        _compiler, expected, params = self._compile(Values(values), [copy.copy(obj) for obj in objs], connection)
        if _normalized(statement) != _normalized(expected) or [_plain(x) for x in bound] != [_plain(x) for x in params]:
            raise AssertionError(
                f"prepared INSERT differs from the ORM's:\n{statement}\n{bound}\n!=\n{expected}\n{list(params)}"
            )


class _Compiled:
    """A query-valued column already compiled: its SQL and this call's parameters."""

    def __init__(self, statement: str, params: list):
        self.statement, self.params = statement, params

    def as_sql(self, compiler, connection):
        return self.statement, self.params


def _plain(value):
    # psycopg's JSON wrapper compares by identity: compare what it wraps (in PostgreSQL's arrays too)
    if isinstance(value, list | tuple):
        return [_plain(x) for x in value]
    return getattr(value, "obj", value)


__all__ = ["Param", "Prepared", "PreparedInsert", "Values", "distinct", "one_of", "spread"]
