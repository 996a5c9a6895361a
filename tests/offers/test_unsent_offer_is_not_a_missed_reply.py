import datetime as dt

import pytest

from messaging.models import Message
from offers import services
from offers.models import Offer, OfferMessage
from waitlist.models import WaitlistEntry

from ._support import clinic, pending, slot, waiting

pytestmark = pytest.mark.django_db


def test_an_offer_whose_text_never_went_out_does_not_count_as_no_reply(clock, settle, settings):
    settings.OFFER_BATCH_SIZE = 1
    cl = clinic()
    (entry,) = waiting(1)
    c = slot(cl)
    settle()
    (offer,) = pending(c)
    # the text is still queued when the hold ends (say, Twilio was down)
    message_id = OfferMessage.objects.get(offer=offer, role="offer").message_id
    Message.objects.filter(pk=message_id).update(send_state=Message.SendState.QUEUED, provider_sid=None)
    clock.set(offer.expires_at + dt.timedelta(seconds=5))
    services.offers_expire_due()
    settle()
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.EXPIRED
    assert WaitlistEntry.objects.get(pk=entry.pk).consecutive_no_reply == 0


def test_an_offer_that_was_sent_and_ignored_counts_as_no_reply(clock, settle, settings):
    settings.OFFER_BATCH_SIZE = 1
    cl = clinic()
    (entry,) = waiting(1)
    c = slot(cl)
    settle()
    (offer,) = pending(c)
    clock.set(offer.expires_at + dt.timedelta(seconds=5))
    services.offers_expire_due()
    settle()
    assert WaitlistEntry.objects.get(pk=entry.pk).consecutive_no_reply == 1
