"""Once a number was reported as a wrong number, an import or the API still sending the previous
owner's consent does not make it offerable again; staff who reach its owner and record consent do,
and that clears the flag."""

import pytest

from core.actors import Actor
from messaging import services
from messaging.models import PhoneNumber
from waitlist import services as waitlist

from .scenarios import wrong_number_reported

pytestmark = pytest.mark.django_db

NUMBER = "+13125551211"
STAFF = Actor(Actor.STAFF, "desk")
EHR = Actor(Actor.API, "ehr")


def _wrong_number_restarted(client, settle):
    return wrong_number_reported(client, settle, NUMBER, "START")


def test_an_import_repeating_the_previous_owners_consent_leaves_a_wrong_number_without_consent(
    client, clock, sms, settle
):
    patient = _wrong_number_restarted(client, settle)
    waitlist.patient_upsert(actor=EHR, first_name="Pat", last_name="Again", phone=NUMBER,
                            consent_source="import", patient=patient)
    phone = PhoneNumber.objects.get(pk=patient.phone_id)
    assert phone.consent_at is None and not phone.can_text
    assert phone.wrong_number_flagged


def test_staff_recording_consent_for_a_wrong_number_make_it_textable_and_clear_the_flag(
    client, clock, sms, settle
):
    patient = _wrong_number_restarted(client, settle)
    services.consent_record(phone=patient.phone, source="verbal", actor=STAFF)
    phone = PhoneNumber.objects.get(pk=patient.phone_id)
    assert phone.can_text and phone.consent_recorded_by == "desk"
    assert not phone.wrong_number_flagged
