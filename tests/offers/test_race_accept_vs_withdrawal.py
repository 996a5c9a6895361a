"""A YES races staff withdrawing the slot: either it is filled (and the withdrawal refused) or
withdrawn (and the YES told it is no longer available). Never a withdrawn slot with a booked
patient."""

import datetime as dt

import pytest

from core.actors import Actor
from messaging import services as messaging
from messaging.models import Message
from offers import services
from offers.models import Cancellation, Offer

from ._support import SLOT_AT, clinic, pending, run_together, slot, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20
STAFF = Actor("staff", "race-staff", None)


def test_a_yes_racing_a_withdrawal_ends_in_exactly_one_consistent_outcome(clock, settings, sms):
    sms.plays_provider = False  # no delivery callbacks: they are beside the point here
    cl = clinic()
    seen = set()
    for n in range(ROUNDS):
        waiting(3)
        c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=n))
        offers = pending(c)
        yes, _ = messaging.inbound_record(
            params={"MessageSid": f"SM{n:032x}", "From": offers[0].phone.e164, "Body": "YES"}
        )
        clock.advance(seconds=1)
        reply, withdrawn = run_together(
            lambda pk=yes.pk: messaging.inbound_process(message_id=pk),
            lambda pk=c.pk: services.cancellation_withdraw(cancellation_id=pk, actor=STAFF),
        )
        assert reply == "accept" and isinstance(withdrawn, bool), (reply, withdrawn)
        c.refresh_from_db()
        accepted = Offer.objects.filter(cancellation=c, status=Offer.Status.ACCEPTED).count()
        replies = list(Message.objects.filter(offer_link__offer=offers[0], direction="outbound").exclude(kind="offer")
                       .values_list("kind", flat=True))
        if withdrawn:
            assert (c.status, accepted) == (Cancellation.Status.WITHDRAWN, 0)
            assert sorted(replies) == ["no_longer_available", "no_longer_available"]  # notice + answer
            assert not Offer.objects.filter(cancellation=c).exclude(status="withdrawn").exists()
        else:
            assert (c.status, accepted, c.filled_offer_id) == (Cancellation.Status.FILLED, 1, offers[0].pk)
            assert replies == ["confirmed"]
        seen.add(withdrawn)
        clock.advance(minutes=1)
    assert seen  # each round asserted one of the two outcomes
