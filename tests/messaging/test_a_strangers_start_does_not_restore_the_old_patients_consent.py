"""A number that answers "wrong number" belongs to someone else now. Our opt-out confirmation invites
"Reply START to resubscribe", and Twilio unblocks the number on START; the new owner's START lifts
the opt-out but brings back no consent: that consent was the previous owner's. The number is not
offered anything until staff record consent again."""

import datetime as dt

import pytest

from core.models import AuditEvent
from messaging.models import ConsentEvent, Message, PhoneNumber
from tests import factories as f
from tests.conftest import T0

from .scenarios import wrong_number_reported
from .twilio_requests import text_in

pytestmark = pytest.mark.django_db

NUMBER = "+13125551201"


def _reported_wrong_number(client, settle):
    return wrong_number_reported(client, settle, NUMBER)


def test_a_wrong_number_report_clears_the_previous_owners_consent_with_a_consent_event_and_an_audit_record(
    client, clock, sms, settle
):
    patient = _reported_wrong_number(client, settle)
    phone = PhoneNumber.objects.get(pk=patient.phone_id)
    assert phone.wrong_number_flagged and phone.opted_out
    assert (phone.consent_at, phone.consent_source, phone.consent_recorded_by) == (None, "", "")
    event = ConsentEvent.objects.get(phone=phone, kind="consent_cleared")
    assert (event.source, event.message.body) == ("keyword", "Wrong number")
    audit = AuditEvent.objects.get(action="consent.clear", object_id=str(phone.pk))
    assert audit.actor_kind == "patient" and audit.before["consent_source"] == "written"
    assert audit.after["consent_at"] is None
    assert NUMBER not in audit.actor_label


def test_a_strangers_start_lifts_the_opt_out_but_restores_no_consent(client, clock, sms, settle):
    patient = _reported_wrong_number(client, settle)
    text_in(client, NUMBER, "START")
    settle()
    phone = PhoneNumber.objects.get(pk=patient.phone_id)
    assert not phone.opted_out  # as Twilio unblocked it: we do not contradict the carrier
    assert phone.consent_at is None and not phone.can_text
    assert phone.wrong_number_flagged  # staff still see it needs fresh consent


def test_a_strangers_start_is_answered_with_the_generic_line_not_a_welcome_back(client, clock, sms, settle):
    _reported_wrong_number(client, settle)
    before = len(sms.bodies_to(NUMBER))
    text_in(client, NUMBER, "START")
    settle()
    [reply] = sms.bodies_to(NUMBER)[before:]
    assert "resubscribed" not in reply and "not monitored" in reply
    assert Message.objects.filter(phone__e164=NUMBER, kind="welcome_back").count() == 0


def test_a_strangers_start_brings_no_offer_to_the_number(client, clock, sms, settle):
    patient = _reported_wrong_number(client, settle)
    f.entry(patient)
    text_in(client, NUMBER, "START")
    settle()
    loc = f.location()
    f.cancellation(f.provider(loc), loc, T0 + dt.timedelta(hours=5))
    settle()
    assert not [body for body in sms.bodies_to(NUMBER) if "Reply YES" in body]


def test_a_start_from_a_number_flagged_while_its_consent_stayed_on_record_clears_that_consent(
    client, clock, sms, settle
):
    # flagged before a wrong-number report cleared consent: the START must not revive it either
    patient = f.patient(phone=NUMBER)
    text_in(client, NUMBER, "STOP")
    settle()
    PhoneNumber.objects.filter(pk=patient.phone_id).update(wrong_number_flagged=True)
    text_in(client, NUMBER, "START")
    settle()
    phone = PhoneNumber.objects.get(pk=patient.phone_id)
    assert not phone.opted_out and phone.consent_at is None
    assert ConsentEvent.objects.filter(phone=phone, kind="consent_cleared").count() == 1
    assert AuditEvent.objects.filter(action="consent.clear", object_id=str(phone.pk)).count() == 1
