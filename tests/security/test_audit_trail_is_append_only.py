"""Nobody changes or deletes the audit trail: the model refuses on every database, PostgreSQL's
trigger refuses whoever connects."""

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction

from core.actors import Actor
from core.models import AuditEvent, AuditTrailIsAppendOnly
from core.services import audit_record

pytestmark = pytest.mark.django_db


def _event(user=None) -> AuditEvent:
    actor = Actor.staff(user) if user else Actor.system("test")
    return audit_record(actor=actor, action="thing.update", object_type="test.thing", object_id=7,
                        before={"a": 1}, after={"a": 2})


def test_saving_an_existing_audit_row_is_refused():
    event = _event()
    event.action = "thing.nothing_happened"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "thing.update"


def test_deleting_an_audit_row_is_refused():
    event = _event()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_bulk_updates_of_audit_rows_are_refused():
    event = _event()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(note="edited")
    event.note = "edited"
    with pytest.raises(AuditTrailIsAppendOnly), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["note"])
    assert AuditEvent.objects.get(pk=event.pk).note == ""


def test_deleting_a_staff_user_keeps_their_audit_rows_with_the_name():
    user = User.objects.create_user("leaver", password="x" * 20)
    event = _event(user)
    user.delete()
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.actor_user_id is None
    assert kept.actor_label == "leaver" and kept.after == {"a": 2}


@pytest.mark.postgres
@pytest.mark.parametrize("sql", [
    "UPDATE core_auditevent SET note = 'edited' WHERE id = %s",
    "UPDATE core_auditevent SET actor_user_id = NULL, note = 'edited' WHERE id = %s",
    "DELETE FROM core_auditevent WHERE id = %s",
])
def test_postgres_refuses_raw_sql_changes_to_audit_rows(sql):
    user = User.objects.create_user("someone", password="x" * 20)
    event = _event(user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.note == "" and kept.actor_user_id == user.pk


@pytest.mark.postgres
def test_postgres_lets_a_deleted_users_id_be_cleared_and_nothing_else():
    user = User.objects.create_user("someone", password="x" * 20)
    event = _event(user)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_user_id = NULL WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_user_id is None
