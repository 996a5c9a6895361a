"""Who looked at which patient, which message thread, and who exported what: each is a `PHI access`
row in the audit trail, written when the page is actually shown."""

import pytest
from django.contrib.admin import helpers

from core.models import AuditEvent
from messaging.models import Message
from tests import factories as f

from .conftest import INBOUND, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clock, settle, post_signed):
    p = f.patient()
    f.entry(p)
    post_signed(INBOUND, {"MessageSid": "SM" + "b" * 32, "From": p.phone.e164, "Body": "what time?"})
    settle()
    return p


def _accesses(user):
    return list(AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, actor_user=user)
                .values_list("action", "object_type", "object_id"))


def test_opening_a_patient_page_is_recorded(client, patient):
    desk = make_staff("desk", group="Front desk")
    client.force_login(desk)
    assert client.get(f"/admin/waitlist/patient/{patient.pk}/change/").status_code == 200
    assert _accesses(desk) == [("view:patient", "waitlist.patient", str(patient.pk))]
    event = AuditEvent.objects.get(actor_user=desk)
    assert event.actor_kind == "staff" and event.actor_label == "desk"


def test_opening_a_message_thread_is_recorded(client, patient):
    desk = make_staff("desk", group="Front desk")
    client.force_login(desk)
    assert client.get(f"/admin/messaging/phonenumber/{patient.phone_id}/change/").status_code == 200
    message = Message.objects.filter(phone=patient.phone).first()
    assert client.get(f"/admin/messaging/message/{message.pk}/change/").status_code == 200
    assert _accesses(desk) == [("view:message", "messaging.message", str(message.pk)),
                               ("view:message_thread", "messaging.phonenumber", str(patient.phone_id))]


def test_a_list_page_or_a_refused_page_is_not_a_patient_access(client, patient):
    nobody = make_staff("nobody")  # staff, but no permission to see patients
    client.force_login(nobody)
    assert client.get(f"/admin/waitlist/patient/{patient.pk}/change/").status_code in (302, 403)
    assert _accesses(nobody) == []


def test_a_message_export_is_recorded_with_its_size(client, patient):
    manager = make_staff("manager", group="Manager")
    client.force_login(manager)
    response = client.get("/admin/messaging/message/export.csv")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    export = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCESS, actor_user=manager)
    assert export.action == "view:messages.export" and export.note.startswith(
        f"{Message.objects.count()} rows")


@pytest.mark.urls("tests.security.phi_probe_urls")
def test_any_admin_action_returning_a_file_is_recorded_as_an_export(client, patient):
    boss = make_staff("boss", superuser=True)
    client.force_login(boss)
    response = client.post("/probe/waitlist/patient/", {
        "action": "export_csv", helpers.ACTION_CHECKBOX_NAME: [str(patient.pk)], "index": 0,
    })
    assert response["Content-Type"].startswith("text/csv")
    assert _accesses(boss) == [("view:patient.export", "waitlist.patient", "*")]
    assert AuditEvent.objects.get(actor_user=boss).note.startswith("1 rows")
