"""A CSV uploaded by staff still carries the EHR's consent, not the staff member's: a number a
stranger reported as a wrong number keeps its flag, and the old owner's consent is not restored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.actors import Actor
from core.models import AuditEvent
from messaging import services as messaging
from messaging.models import PhoneNumber
from tests import factories as f
from tests.admin.conftest import staff_client
from waitlist.management.commands.setup_roles import FRONT_DESK, setup_roles
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db
HEADER = "external_id,patient_external_id,first_name,last_name,phone,consent_source"


@pytest.fixture
def desk(db, clock):
    setup_roles()
    return staff_client("desk", FRONT_DESK)


def upload(desk, body: str):
    file = SimpleUploadedFile("export.csv", body.encode(), content_type="text/csv")
    response = desk.post("/admin/import/", {"kind": "waitlist", "file": file})
    assert response.status_code == 200


def test_an_admin_csv_upload_does_not_restore_a_wrong_numbers_consent(desk):
    pat = f.patient(phone="+13125550177")
    pat.external_id = "MRN-1"
    pat.save()
    WaitlistEntry.objects.filter(pk=f.entry(pat).pk).update(external_id="EHR-1")
    messaging.phone_flag_wrong_number(phone=pat.phone, actor=Actor("patient", "***0177"), message=None)
    phone = PhoneNumber.objects.get(pk=pat.phone_id)
    assert phone.wrong_number_flagged and phone.consent_at is None
    upload(desk, f"{HEADER}\nEHR-1,MRN-1,Pat,{pat.last_name},(312) 555-0177,written\n")
    phone.refresh_from_db()
    assert phone.wrong_number_flagged
    assert phone.consent_at is None
    # the refused consent was no change: no empty update on the record every night
    assert not AuditEvent.objects.filter(action="patient.update").exists()


def test_the_uploads_consent_is_the_imports_and_the_audit_names_the_staff_member(desk):
    upload(desk, f"{HEADER}\nEHR-2,MRN-2,Ana,Diaz,(312) 555-0178,written\n")
    event = AuditEvent.objects.get(action="patient.create")
    assert (event.actor_kind, event.actor_label) == ("staff", "desk")
    phone = PhoneNumber.objects.get(e164="+13125550178")
    assert phone.consent_source == "written"
    assert phone.consent_events.get().source == "import"
