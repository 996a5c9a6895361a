"""A held offer text comes due just as the slot fills: either it leaves first (the patient then
hears "taken") or the fill fails it unsent (and the patient hears nothing). Never "Reply YES" after
"taken", nor news of an offer that never reached them."""

import datetime as dt
import random
import time

import pytest

from messaging import services as messaging
from messaging.backends import SendResult
from messaging.models import Message
from offers.models import Cancellation

from ._support import SLOT_AT, clinic, pending, run_together, slot, text_in, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20
BUSY = SendResult(ok=False, error_code="503", error_message="Service Unavailable", transient=True)


def test_a_held_offer_text_racing_the_fill_ends_in_one_consistent_outcome(clock, sms):
    sms.plays_provider = False  # no delivery callbacks: they are beside the point here
    cl = clinic()
    seen = set()
    jitter = random.Random(11)
    for n in range(ROUNDS):
        patients = waiting(3)
        late = patients[2].patient.phone.e164
        sms.fail[late] = BUSY
        c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=n))
        del sms.fail[late]
        held = next(o for o in pending(c) if o.phone.e164 == late)
        winner = next(o for o in pending(c) if o.pk != held.pk)
        text = Message.objects.get(offer_link__offer=held, offer_link__role="offer")
        clock.advance(seconds=messaging.RETRY_DELAYS[0])  # its retry is due
        delay = jitter.uniform(0, 0.15)  # lets either side start first

        def send(pk=text.pk, delay=delay):
            time.sleep(delay)
            return messaging.message_send(message_id=pk)

        sent, _ = run_together(send, lambda e164=winner.phone.e164: text_in(e164, "YES"))
        c.refresh_from_db()
        text.refresh_from_db()
        assert c.status == Cancellation.Status.FILLED
        kinds = list(Message.objects.filter(offer_link__offer=held, direction="outbound").order_by("pk")
                     .values_list("kind", flat=True))
        bodies = sms.bodies_to(late)
        if text.send_state == "sent":
            assert sent == "sent" and kinds == ["offer", "taken"], (sent, kinds)
            assert len(bodies) == 2 and "Reply YES" in bodies[0] and "just taken" in bodies[1], bodies
        else:
            assert (sent, text.send_state, text.error_code) == ("not-claimed", "failed", "local-offer-ended")
            assert kinds == ["offer"] and bodies == [], (kinds, bodies)
        seen.add(text.send_state)
        clock.advance(minutes=1)
    assert seen  # each round asserted one of the two outcomes
