"""core.sqlite remembers each statement's rewrite from `%s` to `?` (docs/PERFORMANCE.md, section
11): the rewrite must be Django's, and a remembered one must never be given to another statement."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor

from core.sqlite import base as ours
from tests import factories as f
from waitlist.models import Patient

pytestmark = pytest.mark.django_db

STATEMENTS = [
    'SELECT "a" FROM "t" WHERE "b" = %s AND "c" IN (%s, %s)',
    "SELECT * FROM t WHERE name LIKE %s ESCAPE '\\' AND note = '100%%'",
    "SELECT %s, %%s, %s",
    "SELECT 1",
]


@pytest.mark.parametrize("sql", STATEMENTS)
def test_a_statement_is_rewritten_as_django_rewrites_it(sql):
    django_cursor = DjangoCursor.__new__(DjangoCursor)
    our_cursor = ours.SQLiteCursorWrapper.__new__(ours.SQLiteCursorWrapper)

    assert our_cursor.convert_query(sql) == django_cursor.convert_query(sql)
    # the second time comes from what was remembered, and is still Django's
    assert our_cursor.convert_query(sql) == django_cursor.convert_query(sql)


def test_named_parameters_are_left_to_django():
    cursor = ours.SQLiteCursorWrapper.__new__(ours.SQLiteCursorWrapper)

    assert cursor.convert_query("SELECT %(a)s", param_names=["a"]) == "SELECT :a"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend")
def test_the_configured_sqlite_database_runs_on_this_backend_and_finds_literal_percent_signs(clock):
    # a value with % and the statement's own LIKE wildcards: the rewrite leaves both to SQLite
    f.patient(first="Ana%Maria")
    f.patient(first="Anamaria")

    assert connection.settings_dict["ENGINE"] == "core.sqlite"
    assert isinstance(connection.cursor().cursor, ours.SQLiteCursorWrapper)
    assert list(Patient.objects.filter(first_name__contains="a%M").values_list("first_name", flat=True)) == ["Ana%Maria"]
