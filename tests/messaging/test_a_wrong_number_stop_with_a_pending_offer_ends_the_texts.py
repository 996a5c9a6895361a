"""A stranger who writes "Wrong number, stop texting me" while an offer is pending used to be asked
to "reply YES to book" and stayed subscribed."""

import pytest

from offers.models import Offer
from tests.messaging.scenarios import slot_with_offers
from tests.messaging.twilio_requests import text_in

pytestmark = pytest.mark.django_db


def test_wrong_number_stop_opts_out_flags_the_number_and_withdraws_the_offer(client, clock, sms, settle, settings):
    settings.TWILIO_ADVANCED_OPT_OUT = False
    c, [offer] = slot_with_offers(settle)
    before = len(sms.bodies_to(offer.phone.e164))
    text_in(client, offer.phone.e164, "Wrong number, stop texting me")
    settle()
    offer.phone.refresh_from_db()
    offer.refresh_from_db()
    assert offer.phone.opted_out and offer.phone.wrong_number_flagged
    assert offer.status != Offer.Status.PENDING
    assert not any("Reply YES" in body for body in sms.bodies_to(offer.phone.e164)[before:])
