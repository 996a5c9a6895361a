"""A YES the webhook stored while the workers were down, and read only after a later wave offered the
same number another slot, answers the offer the patient had seen. It used to book the new slot,
which the patient never saw, and tell them "you are booked"."""

import datetime as dt

import pytest

from messaging import services as messaging
from offers import services
from offers.models import Cancellation, Offer

from ._support import SLOT_AT, clinic, outbound, pending, slot, waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def cl(clock, settings):
    settings.OFFER_CAP_PER_DAY = settings.OFFER_CAP_PER_WEEK = 99
    settings.OFFER_COOLDOWN_MINUTES = 0
    return clinic()


def test_a_yes_read_after_a_newer_offer_does_not_book_the_newer_slot(cl, clock, settle):
    waiting(1)
    first = slot(cl)
    settle()
    (old,) = pending(first)
    clock.advance(minutes=8)
    services.offers_expire_due()
    settle()
    # the late YES is stored (the webhook answered Twilio) but not processed: the workers are down
    late_yes, _ = messaging.inbound_record(params={"MessageSid": "SM" + "7" * 32, "From": old.phone.e164,
                                                   "Body": "YES"})
    clock.advance(minutes=20)
    second = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=2))
    settle()
    (new,) = pending(second)

    messaging.inbound_process(message_id=late_yes.pk)
    settle()

    new.refresh_from_db()
    second.refresh_from_db()
    assert new.status == Offer.Status.PENDING and second.status == Cancellation.Status.OFFERING
    assert not outbound(old.phone.e164, "confirmed").exists()
    assert outbound(old.phone.e164, "expired").exists()


def test_the_engine_refuses_to_accept_an_offer_with_a_yes_from_before_it(cl, clock, settle):
    waiting(1)
    c = slot(cl)
    settle()
    (offer,) = pending(c)
    assert services.offer_accept(offer_id=offer.pk, received_at=offer.sent_at - dt.timedelta(seconds=1)) != "accepted"
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
