"""Front desks find an entry by name, by the last four digits of the phone, or by external id; and
narrow the list by state, urgency, provider, location, type and texting status."""

import pytest

from messaging import services as messaging
from waitlist import services
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db
URL = "/admin/waitlist/waitlistentry/"


def _rows(client, **params) -> set[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_search_by_name_last_four_digits_and_external_id(desk, clinic):
    ana, ben = clinic.entries[0], clinic.entries[1]
    WaitlistEntry.objects.filter(pk=ben.pk).update(external_id="EHR-778")
    assert _rows(desk, q="Ana") == {ana.pk}
    assert _rows(desk, q=ana.patient.phone.e164[-4:]) == {ana.pk}
    assert _rows(desk, q="EHR-778") == {ben.pk}
    assert _rows(desk, q="9999") == set()


def test_filter_by_state_and_urgency(desk, clinic):
    a, b, c, _ = clinic.entries
    services.entry_deactivate(entry_id=a.pk, reason="unresponsive", actor=_actor(desk))
    services.entry_deactivate(entry_id=b.pk, reason="removed", actor=_actor(desk))
    services.entry_mark_urgent(entry_id=c.pk, actor=_actor(desk))
    assert _rows(desk, state="unresponsive") == {a.pk}
    assert _rows(desk, state="inactive") == {a.pk, b.pk}
    assert a.pk not in _rows(desk, state="active")
    assert _rows(desk, urgent__exact="1") == {c.pk}


def test_filter_by_texting_status(desk, clinic):
    a, b, _, _ = clinic.entries
    messaging.phone_opt_out(phone=a.patient.phone, source="keyword", actor=_actor(desk))
    from messaging.models import PhoneNumber

    PhoneNumber.objects.filter(pk=b.patient.phone_id).update(consent_at=None)
    assert _rows(desk, texting="opted_out") == {a.pk}
    assert _rows(desk, texting="no_consent") == {b.pk}
    assert a.pk not in _rows(desk, texting="ok") and b.pk not in _rows(desk, texting="ok")


def test_filter_by_provider_keeps_entries_without_a_preference(desk, clinic):
    from tests import factories as f

    a, b, _, _ = clinic.entries
    other = f.provider(clinic.location, types=[clinic.atype], name="Dr. Other")
    services.entry_save(actor=_actor(desk), patient=a.patient, entry=a, providers=[other])
    rows = _rows(desk, provider=clinic.provider.pk)
    assert a.pk not in rows and b.pk in rows
    assert a.pk in _rows(desk, provider=other.pk)


def test_patient_autocomplete_finds_by_name(desk, clinic):
    response = desk.get("/admin/autocomplete/", {
        "app_label": "waitlist", "model_name": "waitlistentry", "field_name": "patient", "term": "Cle",
    })
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [str(clinic.patients[2])]


def _actor(client):
    from core.actors import Actor

    return Actor.staff(client.user)
