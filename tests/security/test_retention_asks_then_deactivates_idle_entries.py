"""Entries idle for WAITLIST_RETENTION_DAYS get one "reply YES to stay" text; a YES keeps them, no reply
in 7 days deactivates them (reason idle). Every run is audited."""

import datetime as dt

import pytest

from core.models import AuditEvent
from core.services import retention_idle_entries
from messaging import services as messaging
from tests import factories as f
from tests.conftest import T0
from waitlist.models import WaitlistEntry

from .conftest import INBOUND

pytestmark = pytest.mark.django_db


def _idle_entry(clock, days=200, **patient_kw):
    clock.set(T0 - dt.timedelta(days=days))
    entry = f.entry(f.patient(**patient_kw))
    clock.set(T0)
    return entry


def _run(clock, settle, days_later=0):
    clock.set(T0 + dt.timedelta(days=days_later))
    counts = retention_idle_entries(at=clock())
    settle()
    return counts


def test_idle_entry_gets_one_stay_on_list_text_and_stays_active_meanwhile(clock, sms, settle, settings):
    settings.WAITLIST_RETENTION_DAYS = 180
    entry = _idle_entry(clock)
    phone = entry.patient.phone.e164
    assert _run(clock, settle)["asked"] == 1
    assert _run(clock, settle, days_later=1) == {"asked": 0, "kept": 0, "deactivated": 0, "waiting": 1}
    texts = sms.bodies_to(phone)
    assert len(texts) == 1 and "Reply YES to stay on the waitlist" in texts[0]
    entry.refresh_from_db()
    assert entry.active


def _yes(clock, settle, post_signed, entry, *, days_later: int, sid: str, body: str = "yes"):
    clock.set(T0 + dt.timedelta(days=days_later))
    post_signed(INBOUND, {"MessageSid": "SM" + sid * 32, "From": entry.patient.phone.e164, "Body": body})
    settle()


def test_a_yes_after_the_text_keeps_the_entry(clock, sms, settle, post_signed):
    entry = _idle_entry(clock)
    _run(clock, settle)
    _yes(clock, settle, post_signed, entry, days_later=3, sid="5", body="Yes")
    assert _run(clock, settle, days_later=4)["kept"] == 1
    assert _run(clock, settle, days_later=9)["deactivated"] == 0
    entry.refresh_from_db()
    assert entry.active and entry.last_activity_at == T0 + dt.timedelta(days=3)
    kept = AuditEvent.objects.get(action="entry.retention_kept", object_id=str(entry.pk))
    assert kept.actor_kind == "patient"


def test_no_reply_within_seven_days_deactivates_the_entry_as_idle(clock, sms, settle):
    entry = _idle_entry(clock)
    recent = _idle_entry(clock, days=20)
    _run(clock, settle)
    assert _run(clock, settle, days_later=6)["deactivated"] == 0
    assert _run(clock, settle, days_later=8)["deactivated"] == 1
    entry.refresh_from_db()
    recent.refresh_from_db()
    assert not entry.active and entry.inactive_reason == WaitlistEntry.InactiveReason.IDLE
    assert recent.active
    assert AuditEvent.objects.filter(action="entry.deactivate.idle", object_id=str(entry.pk),
                                     actor_label="retention").exists()
    assert len(sms.bodies_to(entry.patient.phone.e164)) == 1
    assert sms.bodies_to(recent.patient.phone.e164) == []
    assert AuditEvent.objects.filter(action="retention.idle_entries").count() == 3


def test_spanish_speakers_are_asked_in_spanish(clock, sms, settle):
    entry = _idle_entry(clock, language="es")
    _run(clock, settle)
    assert "Responda SI" in sms.bodies_to(entry.patient.phone.e164)[0]


def test_two_idle_entries_on_one_number_get_one_text(clock, sms, settle):
    entry = _idle_entry(clock)
    clock.set(T0 - dt.timedelta(days=190))
    f.entry(entry.patient, f.appointment_type("physical"))
    clock.set(T0)
    assert _run(clock, settle)["asked"] == 1
    assert len(sms.bodies_to(entry.patient.phone.e164)) == 1


def test_an_opted_out_idle_entry_is_deactivated_without_a_text(clock, sms, settle):
    entry = _idle_entry(clock)
    messaging.phone_opt_out(phone=entry.patient.phone, source="keyword", actor=f.STAFF)
    assert _run(clock, settle)["deactivated"] == 1
    entry.refresh_from_db()
    assert entry.inactive_reason == "idle"
    assert sms.bodies_to(entry.patient.phone.e164) == []


def test_a_yes_to_the_ask_is_answered_with_still_on_the_list(clock, sms, settle, post_signed):
    entry = _idle_entry(clock)
    _run(clock, settle)
    _yes(clock, settle, post_signed, entry, days_later=2, sid="6")
    texts = sms.bodies_to(entry.patient.phone.e164)
    assert len(texts) == 2 and "you are still on our waitlist" in texts[1]


def test_a_yes_after_the_entries_were_removed_gets_the_generic_line(clock, sms, settle, post_signed):
    entry = _idle_entry(clock)
    _run(clock, settle)
    assert _run(clock, settle, days_later=8)["deactivated"] == 1
    _yes(clock, settle, post_signed, entry, days_later=9, sid="7")
    texts = sms.bodies_to(entry.patient.phone.e164)
    assert len(texts) == 2 and "still on our waitlist" not in texts[1]
