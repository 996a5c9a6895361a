"""A YES is judged by when it was received, so the timer must not expire a hold while a text from
its number, received before the hold ended, still waits for a worker (a backlog, a lost task the
sweeper picks up after 10 s): the patient would be told "expired" for a YES sent in time. The wait
is bounded: a text still unprocessed two minutes after the hold ended no longer holds up the slot."""

import datetime as dt
import itertools

import pytest

from messaging import services as messaging
from offers import services
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, waiting

pytestmark = pytest.mark.django_db
_sids = itertools.count(900)


def _stored_not_processed(e164, body="YES"):
    message, _ = messaging.inbound_record(params={"MessageSid": f"SM{next(_sids):032x}", "From": e164, "Body": body})
    return message


def test_a_yes_received_before_the_hold_ended_still_wins_when_its_worker_is_slow(clock, settle, sms):
    waiting(3)
    c = slot(clinic())
    settle()
    offer = pending(c)[0]
    clock.set(offer.expires_at - dt.timedelta(seconds=5))
    message = _stored_not_processed(offer.phone.e164)
    clock.set(offer.expires_at + dt.timedelta(seconds=3))
    services.engine_tick()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
    messaging.inbound_process(message_id=message.pk)
    settle()
    offer.refresh_from_db()
    c.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert c.status == Cancellation.Status.FILLED


def test_only_a_hold_answered_in_time_waits_and_only_for_a_while(clock, settle, sms):
    waiting(3)
    c = slot(clinic())
    settle()
    answered, late, silent = pending(c)
    clock.set(answered.expires_at - dt.timedelta(seconds=5))
    _stored_not_processed(answered.phone.e164)
    clock.set(answered.expires_at + dt.timedelta(seconds=1))
    _stored_not_processed(late.phone.e164)  # after the hold ended: no reason to wait for it
    clock.set(answered.expires_at + dt.timedelta(seconds=3))
    assert services.engine_tick()["expired"] == 2
    statuses = dict(Offer.objects.filter(cancellation=c).values_list("pk", "status"))
    assert statuses == {answered.pk: Offer.Status.PENDING, late.pk: Offer.Status.EXPIRED,
                        silent.pk: Offer.Status.EXPIRED}
    # a text never processed (its worker and the sweeper both failing) cannot stall the slot
    clock.set(answered.expires_at + services.REPLY_PROCESSING_WAIT + dt.timedelta(seconds=1))
    assert services.engine_tick()["expired"] == 1
