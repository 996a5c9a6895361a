"""A provider's locations and visit types are many-to-many: the console saves them after the row
itself, and the audit record of the change carries them (sorted ids before and after), written in
the same transaction as the change."""

import pytest

from core.models import AuditEvent
from tests import factories as f
from waitlist.models import Provider

pytestmark = pytest.mark.django_db


def _form(provider, **changes):
    data = {
        "name": provider.name, "sms_name": provider.sms_name, "kind": provider.kind, "active": "on",
        "external_id": "",
        "locations": [loc.pk for loc in provider.locations.all()],
        "appointment_types": [t.pk for t in provider.appointment_types.all()],
    }
    data.update(changes)
    return data


def test_moving_a_provider_to_another_location_is_audited(manager, clinic):
    prov, old = clinic.provider, clinic.location
    new = f.location(name="Southside")
    response = manager.post(f"/admin/waitlist/provider/{prov.pk}/change/", _form(prov, locations=[new.pk]))
    assert response.status_code == 302
    assert list(prov.locations.values_list("pk", flat=True)) == [new.pk]
    event = AuditEvent.objects.get(action="provider.update", object_id=str(prov.pk))
    assert event.actor_user == manager.user
    assert event.before == {"locations": [old.pk]}
    assert event.after == {"locations": [new.pk]}


def test_adding_a_visit_type_is_audited_with_the_full_sorted_list(manager, clinic):
    prov = clinic.provider
    extra = f.appointment_type(code="new-patient", minutes=40)
    types = sorted([clinic.atype.pk, extra.pk])
    response = manager.post(f"/admin/waitlist/provider/{prov.pk}/change/",
                            _form(prov, appointment_types=list(reversed(types))))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="provider.update", object_id=str(prov.pk))
    assert event.before == {"appointment_types": [clinic.atype.pk]}
    assert event.after == {"appointment_types": types}


def test_a_new_provider_is_audited_with_its_locations_and_visit_types(manager, clinic):
    response = manager.post("/admin/waitlist/provider/add/", {
        "name": "Dr. New", "sms_name": "Dr New", "kind": "MD", "active": "on", "external_id": "",
        "locations": [clinic.location.pk], "appointment_types": [clinic.atype.pk],
    })
    assert response.status_code == 302
    prov = Provider.objects.get(name="Dr. New")
    event = AuditEvent.objects.get(action="provider.create", object_id=str(prov.pk))
    assert event.after["locations"] == [clinic.location.pk]
    assert event.after["appointment_types"] == [clinic.atype.pk]
    assert event.after["name"] == "Dr. New"


def test_deleting_a_provider_records_the_locations_and_visit_types_it_had(superuser, clinic):
    prov = f.provider(clinic.location, types=[clinic.atype], name="Dr. Leaving")
    response = superuser.post(f"/admin/waitlist/provider/{prov.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Provider.objects.filter(pk=prov.pk).exists()
    event = AuditEvent.objects.get(action="provider.delete", object_id=str(prov.pk))
    assert event.before["locations"] == [clinic.location.pk]
    assert event.before["appointment_types"] == [clinic.atype.pk]
