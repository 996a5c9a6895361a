"""Patients: E.164 phones (shared numbers allowed), consent recorded once per number, upserts."""

import pytest

from core.models import AuditEvent
from messaging.models import ConsentEvent, PhoneNumber
from waitlist.models import Patient

from .conftest import API

pytestmark = pytest.mark.django_db

ALEX = {"first_name": "Alex", "last_name": "Rivera", "phone": "(312) 555-0101", "relationship": "self",
        "language": "es", "consent_source": "written", "consent_at": "2026-11-20T09:00:00-06:00",
        "external_id": "MRN-1"}


def test_a_patient_is_created_with_a_normalised_phone_and_consent(integration, clock):
    response = integration.post(API + "patients/", ALEX, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+13125550101"
    assert body["sms_consent"] is True and body["sms_opted_out"] is False
    assert body["consent_source"] == "written"
    event = ConsentEvent.objects.get(phone__e164="+13125550101")
    assert event.source == "import" and event.recorded_by == integration.user.username


def test_pushing_the_same_patient_twice_updates_one_record(integration, clock):
    assert integration.post(API + "patients/", ALEX, format="json").status_code == 201
    again = integration.post(API + "patients/", {**ALEX, "last_name": "Rivera-Lopez"}, format="json")
    assert again.status_code == 200
    assert Patient.objects.count() == 1
    assert Patient.objects.get().last_name == "Rivera-Lopez"


def test_an_identical_push_is_200_and_records_nothing_new(integration, clock):
    integration.post(API + "patients/", ALEX, format="json")
    before = AuditEvent.objects.filter(kind="change").count()
    assert integration.post(API + "patients/", ALEX, format="json").status_code == 200
    assert AuditEvent.objects.filter(kind="change").count() == before


def test_two_patients_may_share_a_number(integration, clock):
    integration.post(API + "patients/", ALEX, format="json")
    child = {**ALEX, "first_name": "Sam", "relationship": "guardian", "external_id": "MRN-2"}
    assert integration.post(API + "patients/", child, format="json").status_code == 201
    assert PhoneNumber.objects.count() == 1
    shared = integration.get(API + "patients/?phone=%2B13125550101").json()
    assert shared["count"] == 2


def test_a_bad_phone_is_a_400_on_phone(integration):
    response = integration.post(API + "patients/", {**ALEX, "phone": "555"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()
    assert not Patient.objects.exists()


def test_consent_in_the_future_is_a_400(integration, clock):
    response = integration.post(API + "patients/", {**ALEX, "consent_at": "2030-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert "consent_at" in response.json()


def test_a_consent_time_without_an_offset_is_a_400(integration, clock):
    response = integration.post(API + "patients/", {**ALEX, "consent_at": "2026-11-20T09:00:00"}, format="json")
    assert response.status_code == 400
    assert "offset" in response.json()["consent_at"][0]


def test_an_unknown_consent_source_is_a_400(integration):
    response = integration.post(API + "patients/", {**ALEX, "consent_source": "telepathy"}, format="json")
    assert response.status_code == 400
    assert "consent_source" in response.json()


def test_a_patient_without_consent_shows_it(integration, clock):
    body = {k: v for k, v in ALEX.items() if k not in ("consent_source", "consent_at")}
    response = integration.post(API + "patients/", body, format="json")
    assert response.status_code == 201
    assert response.json()["sms_consent"] is False


def test_an_import_never_lifts_an_opt_out(integration, clock):
    integration.post(API + "patients/", ALEX, format="json")
    PhoneNumber.objects.update(opted_out=True)
    response = integration.post(API + "patients/", {**ALEX, "external_id": "MRN-3", "first_name": "Kim"},
                                format="json")
    assert response.status_code == 201
    assert response.json()["sms_opted_out"] is True


def test_the_external_id_can_be_set_on_an_existing_patient(integration, clock):
    body = {k: v for k, v in ALEX.items() if k != "external_id"}
    created = integration.post(API + "patients/", body, format="json").json()
    response = integration.patch(API + f"patients/{created['id']}/", {"external_id": "MRN-77"}, format="json")
    assert response.status_code == 200
    assert Patient.objects.get(pk=created["id"]).external_id == "MRN-77"


def test_reading_patients_is_recorded_as_phi_access(integration, clock):
    integration.post(API + "patients/", ALEX, format="json")
    integration.get(API + "patients/")
    assert AuditEvent.objects.filter(kind="access", action="view:api.patients",
                                     actor_user=integration.user).exists()
