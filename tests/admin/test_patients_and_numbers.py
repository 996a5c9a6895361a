"""Patients are saved through `patient_upsert`; a number's page shows its consent and history, who
shares it and its thread, read-only. Opening either is logged as a PHI access."""

import pytest

from core.models import AuditEvent
from messaging import services as messaging
from messaging.models import ConsentEvent, PhoneNumber
from tests import factories as f
from waitlist.models import Patient

pytestmark = pytest.mark.django_db


def test_adding_a_patient_creates_the_number_and_records_consent(desk, clinic):
    response = desk.post("/admin/waitlist/patient/add/", {
        "first_name": "Fay", "last_name": "Okoro", "phone_number": "(312) 555-0199", "relationship": "self",
        "language": "es", "external_id": "", "consent_source": "verbal",
        "entries-TOTAL_FORMS": "0", "entries-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    patient = Patient.objects.get(first_name="Fay")
    assert patient.phone.e164 == "+13125550199"
    assert patient.phone.consent_source == "verbal" and patient.phone.consent_recorded_by == "desk"
    assert AuditEvent.objects.filter(action="patient.create", actor_user=desk.user).exists()
    assert ConsentEvent.objects.filter(phone=patient.phone, kind="opt_in", recorded_by="desk").exists()


def test_an_invalid_number_is_refused_on_the_form(desk, clinic):
    response = desk.post("/admin/waitlist/patient/add/", {
        "first_name": "Fay", "last_name": "Okoro", "phone_number": "12", "relationship": "self", "language": "en",
        "entries-TOTAL_FORMS": "0", "entries-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "is not a phone number" in response.content.decode() or "not a valid phone number" in response.content.decode()
    assert not Patient.objects.filter(first_name="Fay").exists()


def test_patients_are_found_by_the_last_four_digits(desk, clinic):
    ana = clinic.patients[0]
    response = desk.get("/admin/waitlist/patient/", {"q": ana.phone.e164[-4:]})
    assert [p.pk for p in response.context["cl"].result_list] == [ana.pk]


def test_a_shared_numbers_page_shows_who_shares_it_consent_history_and_thread(desk, clinic, settle):
    parent = clinic.patients[0]
    child = f.patient(phone=parent.phone.e164, first="Kid")
    messaging.phone_opt_out(phone=parent.phone, source="keyword", actor=_actor(desk))
    response = desk.get(f"/admin/messaging/phonenumber/{parent.phone_id}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert str(parent) in html and str(child) in html
    assert "Consent history" in html
    assert "Opt-out" in html and "Opt-in" in html
    assert "opted out (keyword)" in html
    assert parent.phone.e164 not in html  # the full number is never shown
    assert AuditEvent.objects.filter(kind="access", action="view:message_thread", actor_user=desk.user).exists()


def test_a_number_cannot_be_edited_added_or_deleted_here(superuser, clinic):
    phone = clinic.patients[0].phone
    assert superuser.post(f"/admin/messaging/phonenumber/{phone.pk}/change/", {"opted_out": "on"}).status_code == 405
    assert superuser.get("/admin/messaging/phonenumber/add/").status_code == 403
    assert superuser.get(f"/admin/messaging/phonenumber/{phone.pk}/delete/").status_code == 403
    phone.refresh_from_db()
    assert not phone.opted_out


def test_opening_a_patient_is_logged_as_a_phi_access(desk, clinic):
    ana = clinic.patients[0]
    assert desk.get(f"/admin/waitlist/patient/{ana.pk}/change/").status_code == 200
    assert AuditEvent.objects.filter(kind="access", object_id=str(ana.pk), actor_user=desk.user).exists()


def _actor(client):
    from core.actors import Actor

    return Actor.staff(client.user)


def test_phone_numbers_list_masks_numbers(desk, clinic):
    html = desk.get("/admin/messaging/phonenumber/").content.decode()
    for phone in PhoneNumber.objects.all():
        assert phone.e164 not in html
        assert phone.masked in html
