"""A failed send was one of the reference's stalls: the offer waited out its hold for a text that
never left. Now the offer is undeliverable at once and, if it was the last one, the next wave goes."""

import pytest

from messaging import services as messaging
from messaging.backends import SendResult
from messaging.models import Message
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def cl(clock, settings):
    settings.OFFER_BATCH_SIZE = 1
    return clinic()


def test_a_send_refused_by_twilio_moves_straight_to_the_next_wave(cl, settle, sms):
    bad, good = waiting(1, urgent=True) + waiting(1)
    sms.fail[bad.patient.phone.e164] = SendResult(ok=False, error_code="21211", error_message="Invalid 'To'")
    c = slot(cl)
    settle()
    first = Offer.objects.get(cancellation=c, entry=bad)
    assert first.status == Offer.Status.UNDELIVERABLE
    c.refresh_from_db()
    assert c.current_wave == 2
    (second,) = pending(c)
    assert second.entry_id == good.pk
    assert sms.bodies_to(good.patient.phone.e164)


def test_an_undelivered_status_callback_moves_to_the_next_wave(cl, settle, sms):
    sms.plays_provider = False  # Twilio's callbacks come from this test, not from the backend
    first_entry, next_entry = waiting(1, urgent=True) + waiting(1)
    c = slot(cl)
    settle()
    (offer,) = pending(c)
    sid = Message.objects.get(offer_link__offer=offer, kind="offer").provider_sid
    messaging.status_apply(sid=sid, status="undelivered", error_code="30003")
    settle()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.UNDELIVERABLE
    assert [o.entry_id for o in pending(c)] == [next_entry.pk]


def test_one_failed_send_in_a_wave_leaves_the_others_running(cl, settle, sms, settings):
    settings.OFFER_BATCH_SIZE = 3
    bad, *good = waiting(1, urgent=True) + waiting(3)
    sms.fail[bad.patient.phone.e164] = SendResult(ok=False, error_code="21211", error_message="Invalid 'To'")
    c = slot(cl)
    settle()
    c.refresh_from_db()
    assert c.current_wave == 1
    assert len(pending(c)) == 2
    assert c.status == Cancellation.Status.OFFERING
