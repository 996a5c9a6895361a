"""A YES received just before the hold ended races the timer expiring it: either the patient is
booked and the hold is never expired, or the hold expired, the patient is told so and the next wave
goes out. Never both: the reference's sweep overwrote accepted offers."""

import datetime as dt

import pytest

from core.actors import Actor
from core.models import AuditEvent
from messaging import services as messaging
from messaging.models import Message
from offers import services
from offers.models import Cancellation, Offer

from ._support import SLOT_AT, clinic, pending, run_together, slot, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20
STAFF = Actor("staff", "race-staff", None)


def test_a_yes_racing_the_hold_expiry_ends_in_exactly_one_consistent_outcome(clock, settings, sms):
    sms.plays_provider = False  # no delivery callbacks: they are beside the point here
    settings.OFFER_BATCH_SIZE = 1
    cl = clinic()
    outcomes = {"accepted": 0, "expired": 0}
    for n in range(ROUNDS):
        waiting(2)
        c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=n))
        (offer,) = pending(c)
        clock.set(offer.expires_at - dt.timedelta(milliseconds=200))
        yes, _ = messaging.inbound_record(
            params={"MessageSid": f"SM{n:032x}", "From": offer.phone.e164, "Body": "YES"}
        )
        clock.set(offer.expires_at + dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS + 0.1))
        results = run_together(lambda pk=yes.pk: messaging.inbound_process(message_id=pk), services.offers_expire_due)
        assert not any(isinstance(r, BaseException) for r in results), results

        offer.refresh_from_db()
        c.refresh_from_db()
        expired_audits = AuditEvent.objects.filter(action="offer.expired", object_id=str(offer.pk)).count()
        replies = list(Message.objects.filter(offer_link__offer=offer, direction="outbound").exclude(kind="offer")
                       .values_list("kind", flat=True))
        if offer.status == Offer.Status.ACCEPTED:
            outcomes["accepted"] += 1
            assert (c.status, c.filled_offer_id, expired_audits) == ("filled", offer.pk, 0)
            assert replies == ["confirmed"]
        else:
            outcomes["expired"] += 1
            assert offer.status == Offer.Status.EXPIRED and expired_audits == 1
            assert c.status == Cancellation.Status.OFFERING and c.filled_offer_id is None
            assert replies == ["expired"]
            assert c.current_wave == 2 and len(pending(c)) == 1
            # each round stands alone: a second wave left pending would expire during the next round
            # and take that round's spare patient (everyone may have one offer a day), ending that
            # round's slot "exhausted", which is right for the engine and wrong for this test
            services.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
        clock.advance(minutes=1)
    assert sum(outcomes.values()) == ROUNDS
