"""After we tell a patient how their offer ended ("that opening was just taken", "that offer has
expired", "you are booked"), an "ok thanks" acknowledges the news. Read as a YES it used to repeat
the news, or after a NO say the slot was "no longer available" while it was still being offered."""

import pytest

from offers import services as offers
from offers.models import Cancellation, Offer
from tests.messaging.scenarios import slot_with_offers
from tests.messaging.twilio_requests import text_in

pytestmark = pytest.mark.django_db


def test_ok_thanks_after_the_taken_notice_gets_no_second_notice(client, clock, sms, settle):
    c, [winner, other] = slot_with_offers(settle, patients=2)
    text_in(client, winner.phone.e164, "YES")
    settle()
    told = len(sms.bodies_to(other.phone.e164))
    assert "just taken" in sms.bodies_to(other.phone.e164)[-1]
    clock.advance(minutes=1)
    text_in(client, other.phone.e164, "Ok thanks")
    settle()
    assert len(sms.bodies_to(other.phone.e164)) == told


def test_ok_after_the_expired_notice_gets_no_second_notice(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    clock.advance(minutes=8)
    offers.engine_tick()
    settle()
    text_in(client, offer.phone.e164, "YES")  # too late: told it expired
    settle()
    told = len(sms.bodies_to(offer.phone.e164))
    assert "expired" in sms.bodies_to(offer.phone.e164)[-1]
    clock.advance(minutes=1)
    text_in(client, offer.phone.e164, "ok")
    settle()
    assert len(sms.bodies_to(offer.phone.e164)) == told


def test_ok_thanks_after_saying_no_is_not_told_the_slot_is_gone(client, clock, sms, settle):
    c, [offer, other] = slot_with_offers(settle, patients=2)
    text_in(client, offer.phone.e164, "No")
    settle()
    told = len(sms.bodies_to(offer.phone.e164))
    clock.advance(minutes=1)
    text_in(client, offer.phone.e164, "Ok thanks")
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING
    assert len(sms.bodies_to(offer.phone.e164)) == told


def test_ok_thanks_from_the_booked_patient_does_not_repeat_the_confirmation(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    text_in(client, offer.phone.e164, "YES")
    settle()
    told = len(sms.bodies_to(offer.phone.e164))
    clock.advance(minutes=1)
    text_in(client, offer.phone.e164, "ok thanks")
    settle()
    assert len(sms.bodies_to(offer.phone.e164)) == told


def test_an_ok_to_an_offer_that_ended_in_silence_is_still_told_it_expired(client, clock, sms, settle):
    # no news was sent when the hold ran out: "ok" may well mean "I'll take it", and the patient must
    # learn that it is too late
    c, [offer] = slot_with_offers(settle)
    clock.advance(minutes=8)
    offers.engine_tick()
    settle()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    text_in(client, offer.phone.e164, "ok")
    settle()
    assert "expired" in sms.bodies_to(offer.phone.e164)[-1]
