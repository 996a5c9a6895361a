"""The documented app role (manage.py db_role_grants) reads and writes data but cannot create or
drop tables, and cannot change or delete audit rows even before the trigger is reached."""

import os

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core.actors import Actor
from core.services import audit_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROLE = f"clinicbot_app_test_{os.getpid()}"


@pytest.fixture
def app_role():
    # created inside the test's transaction: rolled back (role and grants) when the test ends
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{ROLE}" NOLOGIN')
    call_command("db_role_grants", ROLE, "--apply", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return ROLE


def _as_app(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{ROLE}"')
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else None
        cursor.execute("RESET ROLE")
        return rows


def test_the_app_role_reads_and_writes_data(app_role):
    event = audit_record(actor=Actor.system("test"), action="thing.create", object_type="t", object_id=1)
    assert _as_app("SELECT count(*) FROM core_auditevent WHERE id = %s", [event.pk]) == [(1,)]
    _as_app("INSERT INTO waitlist_appointmenttype (code, name, default_minutes) VALUES ('x', 'X', 20)")
    _as_app("UPDATE waitlist_appointmenttype SET name = 'Y' WHERE code = 'x'")
    _as_app("DELETE FROM waitlist_appointmenttype WHERE code = 'x'")


@pytest.mark.parametrize("ddl", [
    "CREATE TABLE intruder (id int)",
    "DROP TABLE waitlist_patient",
    "ALTER TABLE waitlist_patient ADD COLUMN ssn text",
    "DROP TRIGGER core_auditevent_append_only ON core_auditevent",
    "TRUNCATE core_auditevent",
])
def test_the_app_role_cannot_change_the_schema_or_truncate_the_trail(app_role, ddl):
    with pytest.raises(DatabaseError, match="(?i)permission denied|must be owner"):
        _as_app(ddl)


@pytest.mark.parametrize("sql", ["UPDATE core_auditevent SET note = 'x'", "DELETE FROM core_auditevent",
                                 "DELETE FROM django_migrations"])
def test_the_app_role_is_denied_changes_to_audit_rows_and_migration_history(app_role, sql):
    audit_record(actor=Actor.system("test"), action="thing.create", object_type="t", object_id=1)
    with pytest.raises(DatabaseError, match="(?i)permission denied"):
        _as_app(sql)


def test_the_app_role_may_only_clear_a_deleted_users_id_on_audit_rows(app_role):
    from django.contrib.auth.models import User

    user = User.objects.create_user("leaver", password="x" * 20)
    event = audit_record(actor=Actor.staff(user), action="thing.create", object_type="t", object_id=1)
    _as_app("UPDATE core_auditevent SET actor_user_id = NULL WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="(?i)permission denied"):
        _as_app("UPDATE core_auditevent SET note = 'x', actor_user_id = NULL WHERE id = %s", [event.pk])


def test_the_grants_can_be_printed_for_a_dba():
    from io import StringIO

    out = StringIO()
    call_command("db_role_grants", "clinicbot_app", stdout=out)
    text = out.getvalue()
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "clinicbot_app"' in text
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON "public".core_auditevent FROM "clinicbot_app"' in text
