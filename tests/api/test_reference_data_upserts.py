"""Locations, providers and appointment types: created, upserted by their natural key, validated,
and audited under the token's user."""

import pytest
from django.conf import settings

from core.models import AuditEvent
from waitlist.models import AppointmentType, Location, Provider

from .conftest import API

pytestmark = pytest.mark.django_db


def test_a_location_is_created_then_updated_by_external_id(integration):
    body = {"name": "North Clinic", "sms_name": "North", "time_zone": "America/Denver", "address": "1 Main",
            "external_id": "LOC-N"}
    first = integration.post(API + "locations/", body, format="json")
    assert first.status_code == 201
    again = integration.post(API + "locations/", {**body, "name": "North Clinic (new wing)"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Location.objects.get(external_id="LOC-N").name == "North Clinic (new wing)"
    assert Location.objects.count() == 1


def test_pushing_the_same_location_twice_changes_nothing_and_writes_no_audit(integration):
    body = {"name": "North Clinic", "sms_name": "North", "external_id": "LOC-N"}
    integration.post(API + "locations/", body, format="json")
    audits = AuditEvent.objects.count()
    response = integration.post(API + "locations/", body, format="json")
    assert response.status_code == 200
    assert AuditEvent.objects.count() == audits


def test_a_write_is_audited_under_the_token_user(integration):
    integration.post(API + "locations/", {"name": "North Clinic", "sms_name": "North"}, format="json")
    event = AuditEvent.objects.get(action="location.create")
    assert event.actor_kind == "api"
    assert event.actor_user_id == integration.user.pk
    assert event.actor_label == integration.user.username


def test_an_unknown_time_zone_is_a_400_on_that_field(integration):
    response = integration.post(API + "locations/", {"name": "X", "sms_name": "X", "time_zone": "Mars/Olympus"},
                                format="json")
    assert response.status_code == 400
    assert "time_zone" in response.json()


def test_an_unknown_provider_kind_is_a_400_on_kind(integration, clinic):
    loc, _, _ = clinic
    response = integration.post(API + "providers/", {"name": "Dr Q", "sms_name": "Dr Q", "kind": "shaman",
                                                     "locations": [loc.pk]}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_a_provider_without_types_takes_the_default_type(integration, clinic):
    loc, _, _ = clinic
    AppointmentType.objects.all().delete()
    response = integration.post(API + "providers/", {"name": "Dr New", "sms_name": "Dr N", "kind": "NP",
                                                     "locations": [loc.pk]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["appointment_types"] == [settings.DEFAULT_APPOINTMENT_TYPE]
    assert AppointmentType.objects.filter(code=settings.DEFAULT_APPOINTMENT_TYPE).exists()


def test_a_provider_at_an_unknown_location_is_a_400(integration):
    response = integration.post(API + "providers/", {"name": "Dr Q", "sms_name": "Dr Q", "kind": "MD",
                                                     "locations": [99999]}, format="json")
    assert response.status_code == 400
    assert "locations" in response.json()


def test_a_provider_upsert_replaces_its_locations_and_types(integration, clinic):
    loc, _, atype = clinic
    other = Location.objects.create(name="South", sms_name="South")
    body = {"name": "Dr Up", "sms_name": "Dr Up", "kind": "DO", "locations": [loc.pk],
            "appointment_types": [atype.code], "external_id": "PRV-9"}
    assert integration.post(API + "providers/", body, format="json").status_code == 201
    response = integration.post(API + "providers/", {**body, "locations": [other.pk]}, format="json")
    assert response.status_code == 200
    provider = Provider.objects.get(external_id="PRV-9")
    assert list(provider.locations.values_list("pk", flat=True)) == [other.pk]
    update = AuditEvent.objects.get(action="provider.update")
    assert update.before["locations"] == [loc.pk] and update.after["locations"] == [other.pk]


def test_a_provider_is_changed_with_patch(integration, clinic):
    _, prov, _ = clinic
    response = integration.patch(API + f"providers/{prov.pk}/", {"active": False}, format="json")
    assert response.status_code == 200
    prov.refresh_from_db()
    assert prov.active is False


def test_an_appointment_type_is_upserted_by_code(integration):
    first = integration.post(API + "appointment-types/", {"code": "new-patient", "name": "New patient",
                                                           "default_minutes": 40}, format="json")
    assert first.status_code == 201
    again = integration.post(API + "appointment-types/", {"code": "new-patient", "name": "New patient visit",
                                                           "default_minutes": 45}, format="json")
    assert again.status_code == 200
    assert AppointmentType.objects.get(code="new-patient").default_minutes == 45


def test_an_unknown_location_id_is_404(integration):
    assert integration.get(API + "locations/424242/").status_code == 404
    assert integration.patch(API + "locations/424242/", {"name": "x"}, format="json").status_code == 404


def test_locations_are_listed_in_pages(integration):
    for i in range(3):
        Location.objects.create(name=f"L{i}", sms_name=f"L{i}")
    body = integration.get(API + "locations/?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert integration.get(body["next"]).json()["previous"] is not None


def test_locations_filter_by_external_id(integration):
    Location.objects.create(name="A", sms_name="A", external_id="A-1")
    Location.objects.create(name="B", sms_name="B", external_id="B-1")
    body = integration.get(API + "locations/?external_id=B-1").json()
    assert [r["name"] for r in body["results"]] == ["B"]


def test_delete_is_not_offered(integration, clinic):
    loc, _, _ = clinic
    assert integration.delete(API + f"locations/{loc.pk}/").status_code == 405
