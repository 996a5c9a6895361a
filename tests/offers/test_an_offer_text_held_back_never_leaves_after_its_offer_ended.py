"""An offer's text held back for a retry (a transient failure, a paused sender, a backlog) must not
reach the patient after the offer ended: once the slot is taken or the offer withdrawn, "Reply YES"
would be a lie. The text is failed unsent, and the patient whose offer never reached them is not
sent news ("taken", "no longer available") about an offer they never heard of."""

import pytest

from core.actors import Actor
from messaging.backends import SendResult
from messaging.models import Message
from messaging.selectors import messages_needing_attention
from offers import services
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "sam.frontdesk", None)
BUSY = SendResult(ok=False, error_code="503", error_message="Service Unavailable", transient=True)


def _wave_with_one_text_held(clock, settle, sms):
    patients = waiting(3)
    late = patients[2].patient.phone.e164
    sms.fail[late] = BUSY
    c = slot(clinic())
    settle()
    del sms.fail[late]
    assert sms.bodies_to(late) == []
    held = next(o for o in pending(c) if o.phone.e164 == late)
    return c, held


def _offer_text(offer):
    return Message.objects.get(offer_link__offer=offer, offer_link__role="offer")


def test_an_offer_text_held_for_a_retry_is_not_sent_after_the_slot_was_taken(clock, settle, sms):
    c, held = _wave_with_one_text_held(clock, settle, sms)
    winner, other = [o for o in pending(c) if o.pk != held.pk]
    clock.advance(seconds=5)
    text_in(winner.phone.e164, "YES")
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    assert "just taken" in sms.bodies_to(other.phone.e164)[-1]  # their offer did reach them
    clock.advance(seconds=10)  # the retry comes due
    services.sweep()
    settle()
    assert sms.bodies_to(held.phone.e164) == []  # neither the stale offer nor "taken"
    message = _offer_text(held)
    assert (message.send_state, message.error_code) == ("failed", "local-offer-ended")
    # withheld on purpose, not a failure: nothing on the board for staff
    assert message not in list(messages_needing_attention())
    held.refresh_from_db()
    assert held.status == Offer.Status.SUPERSEDED


def test_a_held_offer_text_is_not_sent_after_staff_withdrew_the_slot(clock, settle, sms):
    c, held = _wave_with_one_text_held(clock, settle, sms)
    others = [o for o in pending(c) if o.pk != held.pk]
    assert services.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
    settle()
    clock.advance(seconds=15)
    services.sweep()
    settle()
    assert sms.bodies_to(held.phone.e164) == []
    assert all("no longer available" in sms.bodies_to(o.phone.e164)[-1] for o in others)


def test_a_held_offer_text_is_not_sent_after_staff_withdrew_that_offer(clock, settle, sms):
    c, held = _wave_with_one_text_held(clock, settle, sms)
    assert services.offer_withdraw(offer_id=held.pk, actor=STAFF)
    settle()
    clock.advance(seconds=15)
    services.sweep()
    settle()
    assert sms.bodies_to(held.phone.e164) == []
    assert _offer_text(held).error_code == "local-offer-ended"
