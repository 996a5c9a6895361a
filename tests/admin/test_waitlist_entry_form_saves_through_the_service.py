"""Adding or editing an entry in the console goes through `waitlist.services.entry_save`: the
stored priority and its breakdown are computed, preferences become masks, the welcome text goes to a
new number, and the audit record names the staff member."""

import pytest

from core.models import AuditEvent
from messaging.models import Message
from tests import factories as f
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db
ADD = "/admin/waitlist/waitlistentry/add/"


def _form(clinic, patient, **over):
    data = {
        "patient": patient.pk, "appointment_type": clinic.atype.pk, "visit_minutes": "", "external_id": "",
        "urgent": "on", "manual_boost": "0", "boost_reason": "", "current_appointment_at_0": "",
        "current_appointment_at_1": "", "current_appointment_provider": "", "current_appointment_location": "",
        "ready_from": "", "providers": [clinic.provider.pk], "locations": [], "provider_kinds": ["MD", "NP"],
        "weekdays": ["0", "2"], "earliest_time": "09:00", "latest_time": "12:00", "min_notice_hours": "2",
        "notes": "prefers mornings",
        "offers-TOTAL_FORMS": "0", "offers-INITIAL_FORMS": "0",
    }
    data.update(over)
    return data


def test_adding_an_entry_computes_priority_and_welcomes_a_new_number(desk, clinic, settle, sms):
    newcomer = f.patient(first="Eve")
    from messaging.models import PhoneNumber

    PhoneNumber.objects.filter(pk=newcomer.phone_id).update(welcomed_at=None)
    response = desk.post(ADD, _form(clinic, newcomer))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    settle()
    entry = WaitlistEntry.objects.get(patient=newcomer)
    assert entry.urgent and entry.priority == entry.priority_breakdown["total"] >= 30
    assert entry.provider_kinds_mask and entry.weekdays_mask == 0b101
    assert list(entry.providers.all()) == [clinic.provider] and entry.has_provider_prefs
    assert AuditEvent.objects.filter(action="entry.create", object_id=str(entry.pk), actor_user=desk.user).exists()
    assert Message.objects.filter(phone=newcomer.phone, kind="welcome").exists()


def test_the_change_page_explains_the_priority_and_shows_offers_and_thread(desk, clinic, settle):
    from tests.admin.conftest import offering_slot

    offering_slot(clinic, settle)
    entry = clinic.entries[0]
    html = desk.get(f"/admin/waitlist/waitlistentry/{entry.pk}/change/").content.decode()
    assert "Why this priority" in html
    assert "current appt 20" in html
    assert "Offers made to this entry" in html
    assert "Reply YES by" in html  # the offer text, in the read-only thread


def test_editing_an_entry_goes_through_the_service_and_is_audited(desk, clinic):
    entry = clinic.entries[1]
    data = _form(clinic, entry.patient, urgent="", manual_boost="12", boost_reason="clinician asked",
                 provider_kinds=[], weekdays=[], providers=[], earliest_time="", latest_time="")
    response = desk.post(f"/admin/waitlist/waitlistentry/{entry.pk}/change/", data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.manual_boost == 12 and entry.priority_breakdown["manual_boost"] == 12
    assert not entry.has_provider_prefs
    event = AuditEvent.objects.get(action="entry.update", object_id=str(entry.pk))
    assert event.actor_user == desk.user and event.after["manual_boost"] == 12


def test_a_boost_without_a_reason_is_refused_on_the_form(desk, clinic):
    entry = clinic.entries[1]
    response = desk.post(f"/admin/waitlist/waitlistentry/{entry.pk}/change/",
                         _form(clinic, entry.patient, manual_boost="12", boost_reason=""))
    assert response.status_code == 200
    assert "Say why this patient is boosted." in response.content.decode()


def test_a_backwards_time_window_is_refused_on_the_form(desk, clinic):
    entry = clinic.entries[1]
    response = desk.post(f"/admin/waitlist/waitlistentry/{entry.pk}/change/",
                         _form(clinic, entry.patient, earliest_time="15:00", latest_time="09:00"))
    assert response.status_code == 200
    assert "latest time must be after" in response.content.decode()


def test_entries_cannot_be_deleted(superuser, clinic):
    entry = clinic.entries[0]
    assert superuser.get(f"/admin/waitlist/waitlistentry/{entry.pk}/delete/").status_code == 403
