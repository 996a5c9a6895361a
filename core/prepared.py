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

import datetime as dt
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Expression, F, sql
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


__all__ = ["Param", "Prepared", "Values", "distinct", "one_of", "spread"]
