"""Eight patients say YES to one slot at the same instant: exactly one wins, the seven others are
each told "taken" exactly once, whatever the interleaving. Real PostgreSQL connections, one per
thread, released together by a barrier; repeated to mean something."""

import datetime as dt

import pytest

from messaging import services as messaging
from messaging.models import Message
from offers.models import Cancellation, Offer

from ._support import SLOT_AT, clinic, pending, run_together, slot, waiting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 20


def test_eight_simultaneous_yes_replies_make_one_winner_and_seven_taken_texts(clock, settings, sms):
    sms.plays_provider = False  # no delivery callbacks: they are beside the point here
    settings.OFFER_BATCH_SIZE = 8
    cl = clinic()
    winners = set()
    for n in range(ROUNDS):
        waiting(8)
        c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=n))
        offers = pending(c)
        assert len(offers) == 8
        stored = [
            messaging.inbound_record(
                params={"MessageSid": f"SM{n:08x}{i:024x}", "From": o.phone.e164, "Body": "YES"}
            )[0]
            for i, o in enumerate(offers)
        ]
        results = run_together(*[(lambda m=m: messaging.inbound_process(message_id=m.pk)) for m in stored])
        assert all(r == "accept" for r in results), results

        c.refresh_from_db()
        accepted = Offer.objects.filter(cancellation=c, status=Offer.Status.ACCEPTED)
        assert accepted.count() == 1
        winner = accepted.get()
        assert (c.status, c.filled_offer_id) == (Cancellation.Status.FILLED, winner.pk)
        assert Offer.objects.filter(cancellation=c, status=Offer.Status.SUPERSEDED).count() == 7
        for o in offers:
            texts = Message.objects.filter(direction="outbound", phone=o.phone, offer_link__offer=o)
            kinds = sorted(texts.exclude(kind="offer").values_list("kind", flat=True))
            assert kinds == (["confirmed"] if o.pk == winner.pk else ["taken"]), (o.pk, kinds)
        assert not Message.objects.filter(send_state="queued").exists()
        winners.add(offers.index(next(o for o in offers if o.pk == winner.pk)))
    # not a proof, but a sign the barrier really let them race: more than one position won
    assert len(winners) > 1
