"""STOP always works, by any keyword or clear revocation; consent and opt-outs are recorded with
their source; only staff recording consent lift an opt-out (not an import, not a YES)."""

import pytest

from core.actors import Actor
from core.models import AuditEvent
from messaging import services
from messaging.models import ConsentEvent, Message
from offers.models import Offer
from tests import factories as f

from .scenarios import slot_with_offers
from .twilio_requests import text_in

pytestmark = pytest.mark.django_db
STAFF = Actor(Actor.STAFF, "desk")


def test_cancel_is_an_opt_out_not_a_decline(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    text_in(client, offer.phone.e164, "Cancel")
    settle()
    offer.refresh_from_db()
    offer.phone.refresh_from_db()
    assert offer.phone.opted_out and offer.status == Offer.Status.WITHDRAWN
    event = ConsentEvent.objects.get(phone=offer.phone, kind="opt_out")
    assert (event.source, event.message.body) == ("keyword", "Cancel")
    assert AuditEvent.objects.filter(action="consent.opt_out", actor_kind="patient").exists()


def test_wrong_number_opts_out_and_flags_the_number_for_staff(client, clock, sms, settle):
    patient = f.patient(phone="+13125551101")
    text_in(client, "+13125551101", "Wrong number")
    settle()
    patient.phone.refresh_from_db()
    assert patient.phone.opted_out and patient.phone.wrong_number_flagged
    assert Message.objects.get(direction="inbound", phone=patient.phone).needs_attention == "wrong_number"


def test_no_text_is_sent_to_an_opted_out_number_but_its_one_confirmation(client, clock, sms, settle):
    patient = f.patient(phone="+13125551102")
    text_in(client, "+13125551102", "stop")
    settle()
    assert services.message_enqueue(phone=patient.phone, template="help", auto_reply=True) is None
    assert services.message_enqueue(phone=patient.phone, template="welcome") is None
    assert len(sms.bodies_to("+13125551102")) == 1


def test_start_records_a_keyword_opt_in_and_lifts_the_opt_out(client, clock, sms, settle):
    patient = f.patient(phone="+13125551103")
    text_in(client, "+13125551103", "STOP")
    text_in(client, "+13125551103", "Unstop")
    settle()
    patient.phone.refresh_from_db()
    assert not patient.phone.opted_out
    assert ConsentEvent.objects.filter(phone=patient.phone, kind="opt_in", source="keyword").count() == 1


def test_start_from_a_number_that_never_consented_gets_the_generic_line_not_a_welcome_back(client, clock, sms, settle):
    text_in(client, "+13125551104", "START")
    settle()
    [reply] = sms.bodies_to("+13125551104")
    assert "resubscribed" not in reply and "not monitored" in reply


def test_an_import_never_lifts_an_opt_out_but_staff_recording_consent_do(client, clock, sms, settle):
    from waitlist import services as waitlist

    patient = f.patient(phone="+13125551105")
    text_in(client, "+13125551105", "STOP")
    settle()
    waitlist.patient_upsert(actor=Actor(Actor.API, "ehr"), first_name="Pat", last_name="Again",
                            phone="+13125551105", consent_source="import", patient=patient)
    patient.phone.refresh_from_db()
    assert patient.phone.opted_out
    services.consent_record(phone=patient.phone, source="verbal", actor=STAFF, lift_opt_out=True)
    assert patient.phone.can_text and patient.phone.consent_source == "verbal"
    assert patient.phone.consent_recorded_by == "desk"
