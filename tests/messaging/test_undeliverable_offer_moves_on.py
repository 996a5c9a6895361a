"""An offer whose text cannot be delivered is marked undeliverable and the engine offers the slot to
the next patient at once; a sender-wide failure instead pauses outreach until staff resume it."""

import datetime as dt

import pytest

from core.actors import Actor
from messaging import services as messaging
from messaging.backends import SendResult
from offers import services as offers
from offers.models import Offer
from tests import factories as f
from tests.conftest import T0

from .twilio_requests import STATUS, post_signed, status_params

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_waiting(settings, clock):
    settings.OFFER_BATCH_SIZE = 1
    loc = f.location()
    prov = f.provider(loc)
    first, second = f.patient(phone="+13125550201"), f.patient(phone="+13125550202")
    f.entry(first, urgent=True)  # ranked first
    f.entry(second)
    return loc, prov, first, second


def _offers(c):
    return list(Offer.objects.filter(cancellation=c).order_by("wave").values_list("patient_id", "status"))


def test_a_number_that_cannot_receive_texts_makes_its_offer_undeliverable_and_the_next_patient_is_offered(
    two_waiting, sms, settle
):
    loc, prov, first, second = two_waiting
    sms.fail["+13125550201"] = SendResult(ok=False, error_code="21614", error_message="not a mobile number")
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    assert _offers(c) == [(first.pk, "undeliverable"), (second.pk, "pending")]
    assert "Reply YES" in sms.bodies_to("+13125550202")[0]
    first.phone.refresh_from_db()
    assert first.phone.cannot_receive


def test_an_undelivered_status_callback_ends_the_offer_and_the_next_patient_is_offered(
    two_waiting, sms, settle, client
):
    loc, prov, first, second = two_waiting
    sms.plays_provider = False
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    offer_text = first.phone.messages.get(kind="offer")
    assert _offers(c) == [(first.pk, "pending")]
    post_signed(client, STATUS, status_params(offer_text.provider_sid, "undelivered", "30006"))
    settle()
    assert _offers(c) == [(first.pk, "undeliverable"), (second.pk, "pending")]


def test_a_sender_wide_failure_pauses_outreach_until_staff_resume_it(two_waiting, sms, settle, clock):
    loc, prov, first, second = two_waiting
    sms.fail["+13125550201"] = SendResult(ok=False, error_code="20003", error_message="authenticate")
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    assert messaging.sender_is_paused()
    # the failed offer ends, but nobody else is texted while the sender is failing
    assert _offers(c) == [(first.pk, "undeliverable")]
    assert offers.wave_advance(cancellation_id=c.pk) == "sender-paused"
    clock.advance(minutes=1)
    offers.engine_tick()
    settle()
    assert sms.bodies_to("+13125550202") == []
    # the number is not blamed for the sender's failure
    first.phone.refresh_from_db()
    assert not first.phone.cannot_receive and not first.phone.opted_out

    messaging.sender_resume(actor=Actor(Actor.STAFF, "desk"))
    offers.engine_tick()
    settle()
    assert _offers(c) == [(first.pk, "undeliverable"), (second.pk, "pending")]
    assert len(sms.bodies_to("+13125550202")) == 1
