"""Locations, providers and visit types have no service of their own: the console saves them and
writes an audit record naming the person in the same transaction."""

import pytest

from core.models import AuditEvent
from waitlist.models import ClosureDate

pytestmark = pytest.mark.django_db


def test_editing_a_location_and_its_closures_is_audited(manager, clinic):
    loc = clinic.location
    response = manager.post(f"/admin/waitlist/location/{loc.pk}/change/", {
        "name": loc.name, "sms_name": loc.sms_name, "time_zone": "America/Denver", "address": loc.address,
        "arrival_note": loc.arrival_note, "sending_start": "", "sending_end": "", "cutoff_minutes": "90",
        "external_id": "",
        "closures-TOTAL_FORMS": "1", "closures-INITIAL_FORMS": "0",
        "closures-0-date": "2026-12-25", "closures-0-reason": "Christmas",
    })
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="location.update")
    assert event.actor_user == manager.user
    assert event.before == {"time_zone": "America/Chicago", "cutoff_minutes": None}
    assert event.after == {"time_zone": "America/Denver", "cutoff_minutes": 90}
    closure = ClosureDate.objects.get()
    assert AuditEvent.objects.filter(action="closuredate.create", object_id=str(closure.pk),
                                     actor_user=manager.user).exists()


def test_front_desk_reads_reference_data_but_cannot_change_it(desk, clinic):
    assert desk.get(f"/admin/waitlist/provider/{clinic.provider.pk}/change/").status_code == 200
    response = desk.post(f"/admin/waitlist/provider/{clinic.provider.pk}/change/", {"name": "Renamed"})
    assert response.status_code == 403
