"""A booked patient who texts NO may not be coming. It used to be swallowed: no answer, nothing for
staff, the slot kept for someone who may not come. Now a person sees it and the patient is given the
clinic's number; the booking itself is left to that person."""

import pytest

from messaging.models import Message
from offers.models import Cancellation, Offer
from tests.messaging.scenarios import slot_with_offers
from tests.messaging.twilio_requests import text_in

pytestmark = pytest.mark.django_db


def test_a_no_after_booking_is_flagged_for_staff_and_answered_with_the_clinic_number(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    text_in(client, offer.phone.e164, "YES")
    settle()
    before = len(sms.bodies_to(offer.phone.e164))
    clock.advance(minutes=1)
    text_in(client, offer.phone.e164, "No")
    settle()
    inbound = Message.objects.filter(phone=offer.phone, direction="inbound").latest("pk")
    assert inbound.needs_attention == "no_without_open_offer"
    replies = sms.bodies_to(offer.phone.e164)[before:]
    assert len(replies) == 1 and "call" in replies[0].lower()
    c.refresh_from_db()
    offer.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED and offer.status == Offer.Status.ACCEPTED


def test_a_no_after_an_offer_that_simply_ended_still_needs_no_answer(client, clock, sms, settle):
    c, [winner, other] = slot_with_offers(settle, patients=2)
    text_in(client, winner.phone.e164, "YES")
    settle()
    before = len(sms.bodies_to(other.phone.e164))
    text_in(client, other.phone.e164, "no")
    settle()
    inbound = Message.objects.filter(phone=other.phone, direction="inbound").latest("pk")
    assert inbound.needs_attention == ""
    assert len(sms.bodies_to(other.phone.e164)) == before
