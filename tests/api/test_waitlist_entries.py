"""Waitlist entries: a minimal client works (default type, any length), cross-field rules are 400s
with the field named, upserts by external_id, and the boost/deactivate/reactivate actions."""

import pytest
from django.conf import settings

from core.models import AuditEvent
from tests import factories as f
from waitlist.models import Location, WaitlistEntry

from .conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clock):
    return f.patient()


def post(client, body):
    return client.post(API + "waitlist/", body, format="json")


def test_a_minimal_entry_takes_the_default_type_and_any_length(integration, patient):
    response = post(integration, {"patient": patient.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["appointment_type"] == settings.DEFAULT_APPOINTMENT_TYPE
    assert body["visit_minutes"] is None
    assert body["active"] is True and body["inactive_reason"] == ""
    assert body["priority"] == body["priority_breakdown"]["total"]


def test_the_default_type_is_created_when_missing(integration, patient):
    from waitlist.models import AppointmentType

    AppointmentType.objects.all().delete()
    assert post(integration, {"patient": patient.pk}).status_code == 201
    assert AppointmentType.objects.filter(code=settings.DEFAULT_APPOINTMENT_TYPE).exists()


def test_an_entry_round_trips_its_preferences(integration, patient, clinic):
    loc, prov, atype = clinic
    body = {"patient": patient.pk, "appointment_type": atype.code, "visit_minutes": 30, "urgent": True,
            "current_appointment_at": "2027-03-01T09:00:00-06:00", "ready_from": "2026-12-01",
            "providers": [prov.pk], "provider_kinds": ["MD", "NP"], "locations": [loc.pk], "weekdays": [0, 2, 4],
            "earliest_time": "08:30", "latest_time": "12:00", "min_notice_hours": 4, "external_id": "WL-1"}
    response = post(integration, body)
    assert response.status_code == 201, response.json()
    got = response.json()
    for key, value in body.items():
        if key != "current_appointment_at":
            assert got[key] == value, key
    entry = WaitlistEntry.objects.get(external_id="WL-1")
    assert entry.weekdays_mask == 0b10101
    assert entry.has_provider_prefs and entry.has_location_prefs


def test_earliest_after_latest_is_a_400_on_latest_time(integration, patient):
    response = post(integration, {"patient": patient.pk, "earliest_time": "15:00", "latest_time": "09:00"})
    assert response.status_code == 400
    assert "latest_time" in response.json()


def test_a_patch_that_inverts_the_stored_window_is_a_400(integration, patient):
    entry = post(integration, {"patient": patient.pk, "earliest_time": "08:00", "latest_time": "10:00"}).json()
    response = integration.patch(API + f"waitlist/{entry['id']}/", {"earliest_time": "11:00"}, format="json")
    assert response.status_code == 400
    assert "latest_time" in response.json()


@pytest.mark.parametrize("boost", [-1, 41, 1000])
def test_a_boost_outside_0_to_40_is_a_400(integration, patient, boost):
    response = post(integration, {"patient": patient.pk, "manual_boost": boost, "boost_reason": "x"})
    assert response.status_code == 400
    assert "manual_boost" in response.json()


def test_a_boost_without_a_reason_is_a_400(integration, patient):
    response = post(integration, {"patient": patient.pk, "manual_boost": 10})
    assert response.status_code == 400
    assert "boost_reason" in response.json()


@pytest.mark.parametrize("days", [[7], [-1], ["monday"], [0, 9]])
def test_a_weekday_out_of_range_is_a_400(integration, patient, days):
    response = post(integration, {"patient": patient.pk, "weekdays": days})
    assert response.status_code == 400
    assert "weekdays" in response.json()


def test_an_unknown_provider_kind_is_a_400(integration, patient):
    response = post(integration, {"patient": patient.pk, "provider_kinds": ["MD", "wizard"]})
    assert response.status_code == 400
    assert "provider_kinds" in response.json()


def test_a_preferred_provider_who_does_not_take_the_type_is_a_400(integration, patient, clinic):
    _, prov, _ = clinic
    other_type = f.appointment_type("physical", 40)
    response = post(integration, {"patient": patient.pk, "appointment_type": other_type.code,
                                  "providers": [prov.pk]})
    assert response.status_code == 400
    assert "does not take" in response.json()["providers"][0]


def test_a_preferred_provider_who_works_at_none_of_the_locations_is_a_400(integration, patient, clinic):
    _, prov, atype = clinic
    elsewhere = Location.objects.create(name="Far", sms_name="Far")
    response = post(integration, {"patient": patient.pk, "appointment_type": atype.code, "providers": [prov.pk],
                                  "locations": [elsewhere.pk]})
    assert response.status_code == 400
    assert "none of the chosen locations" in response.json()["providers"][0]


def test_a_current_appointment_without_an_offset_is_a_400(integration, patient):
    response = post(integration, {"patient": patient.pk, "current_appointment_at": "2027-01-05T10:00:00"})
    assert response.status_code == 400
    assert "current_appointment_at" in response.json()


def test_an_unknown_appointment_type_is_a_400(integration, patient):
    response = post(integration, {"patient": patient.pk, "appointment_type": "no-such-type"})
    assert response.status_code == 400
    assert "appointment_type" in response.json()


def test_an_unknown_patient_is_a_400_on_patient(integration, db):
    response = post(integration, {"patient": 987654})
    assert response.status_code == 400
    assert "patient" in response.json()


def test_the_same_entry_pushed_twice_is_one_entry(integration, patient):
    body = {"patient": patient.pk, "visit_minutes": 20, "external_id": "WL-7"}
    assert post(integration, body).status_code == 201
    again = post(integration, {**body, "visit_minutes": 40})
    assert again.status_code == 200
    assert WaitlistEntry.objects.filter(external_id="WL-7").get().visit_minutes == 40


def test_boost_sets_the_boost_and_audits_the_reason(integration, patient):
    entry = post(integration, {"patient": patient.pk}).json()
    response = integration.post(API + f"waitlist/{entry['id']}/boost/", {"amount": 25, "reason": "post-op"},
                                format="json")
    assert response.status_code == 200
    assert response.json()["manual_boost"] == 25
    assert response.json()["priority"] == entry["priority"] + 25
    event = AuditEvent.objects.get(action="entry.boost")
    assert event.note == "post-op" and event.actor_user_id == integration.user.pk


@pytest.mark.parametrize("amount", [41, -5, "lots", None])
def test_boost_outside_0_to_40_is_a_400(integration, patient, amount):
    entry = post(integration, {"patient": patient.pk}).json()
    response = integration.post(API + f"waitlist/{entry['id']}/boost/", {"amount": amount, "reason": "x"},
                                format="json")
    assert response.status_code == 400
    assert "amount" in response.json()


def test_boost_of_an_unknown_entry_is_404(integration, db):
    response = integration.post(API + "waitlist/99999/boost/", {"amount": 5, "reason": "x"}, format="json")
    assert response.status_code == 404


def test_front_desk_may_boost_but_a_nobody_may_not(front_desk, roles, patient):
    from .conftest import _client

    entry = f.entry(patient)
    ok = front_desk.post(API + f"waitlist/{entry.pk}/boost/", {"amount": 5, "reason": "x"}, format="json")
    assert ok.status_code == 200
    nobody = _client("nobody", None)
    denied = nobody.post(API + f"waitlist/{entry.pk}/boost/", {"amount": 5, "reason": "x"}, format="json")
    assert denied.status_code == 403


def test_deactivate_then_reactivate(integration, patient):
    entry = post(integration, {"patient": patient.pk}).json()
    url = API + f"waitlist/{entry['id']}/"
    gone = integration.post(url + "deactivate/", {"reason": "discharged"}, format="json")
    assert gone.status_code == 200 and gone.json()["inactive_reason"] == "discharged"
    assert integration.post(url + "deactivate/", {}, format="json").status_code == 409
    back = integration.post(url + "reactivate/", format="json")
    assert back.status_code == 200 and back.json()["active"] is True
    assert integration.post(url + "reactivate/", format="json").status_code == 409


def test_entries_filter_by_patient_and_active(integration, patient):
    other = f.patient()
    f.entry(patient)
    f.entry(other)
    body = integration.get(API + f"waitlist/?patient={patient.pk}&active=true").json()
    assert body["count"] == 1
    assert integration.get(API + "waitlist/?patient=abc").status_code == 400
    assert integration.get(API + "waitlist/?active=maybe").status_code == 400
