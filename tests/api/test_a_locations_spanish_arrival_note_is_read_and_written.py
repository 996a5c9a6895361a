"""The Spanish arrival note Spanish confirmations carry is part of a location, so the EHR bridge
that keeps locations in step can read and set it like the English one."""

import pytest

from core.models import AuditEvent
from waitlist.models import Location

from .conftest import API

pytestmark = pytest.mark.django_db


def test_a_new_location_shows_the_default_spanish_note(integration):
    response = integration.post(API + "locations/", {"name": "North Clinic", "sms_name": "North"}, format="json")
    assert response.status_code == 201
    assert response.json()["arrival_note_es"] == Location._meta.get_field("arrival_note_es").default


def test_the_spanish_note_is_set_by_upsert_and_audited(integration):
    body = {"name": "North Clinic", "sms_name": "North", "external_id": "LOC-N"}
    integration.post(API + "locations/", body, format="json")
    response = integration.post(API + "locations/", {**body, "arrival_note_es": "Regístrese en el 2o piso."},
                                format="json")
    assert response.status_code == 200
    assert response.json()["arrival_note_es"] == "Regístrese en el 2o piso."
    assert Location.objects.get(external_id="LOC-N").arrival_note_es == "Regístrese en el 2o piso."
    event = AuditEvent.objects.filter(action="location.update").latest("pk")
    assert event.after["arrival_note_es"] == "Regístrese en el 2o piso."


def test_a_spanish_note_can_be_blanked_and_one_too_long_is_a_400(integration):
    loc = integration.post(API + "locations/", {"name": "North Clinic", "sms_name": "North"}, format="json").json()
    blank = integration.patch(API + f"locations/{loc['id']}/", {"arrival_note_es": ""}, format="json")
    assert blank.status_code == 200 and Location.objects.get(pk=loc["id"]).arrival_note_es == ""
    long = integration.patch(API + f"locations/{loc['id']}/", {"arrival_note_es": "x" * 121}, format="json")
    assert long.status_code == 400 and "arrival_note_es" in long.json()
