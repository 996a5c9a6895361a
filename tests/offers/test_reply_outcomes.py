"""What each reply does to an offer and what the patient is told."""

import pytest

from core.models import AuditEvent
from offers import services
from offers.models import Cancellation, Offer
from waitlist.models import WaitlistEntry

from ._support import clinic, outbound, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(clock, settle):
    cl = clinic()
    waiting(6)
    c = slot(cl)
    settle()
    return c


def test_a_yes_in_time_books_the_slot_and_fulfils_the_entry(offered, settle, sms):
    winner, *others = pending(offered)
    assert text_in(winner.phone.e164, "YES") == "accept"
    settle()
    offered.refresh_from_db()
    winner.refresh_from_db()
    assert (offered.status, offered.filled_offer_id, winner.status) == ("filled", winner.pk, "accepted")
    entry = WaitlistEntry.objects.get(pk=winner.entry_id)
    assert (entry.active, entry.inactive_reason) == (False, "fulfilled")
    assert "you are booked" in sms.bodies_to(winner.phone.e164)[-1]
    for o in others:
        o.refresh_from_db()
        assert o.status == Offer.Status.SUPERSEDED
        assert outbound(o.phone.e164, "taken").count() == 1
    assert AuditEvent.objects.filter(action="offer.accept", object_id=str(winner.pk),
                                     actor_label=f"sms ***{winner.phone.e164[-4:]}").exists()


def test_a_yes_after_the_hold_is_told_it_expired_and_the_entry_stays(offered, clock, settle, sms):
    offer = pending(offered)[0]
    clock.advance(minutes=7, seconds=1)
    text_in(offer.phone.e164, "yes")
    settle()
    offer.refresh_from_db()
    offered.refresh_from_db()
    assert offer.status == Offer.Status.PENDING  # the timer, not the reply, ends it
    assert offered.status == Cancellation.Status.OFFERING
    assert "has expired" in sms.bodies_to(offer.phone.e164)[-1]
    assert WaitlistEntry.objects.get(pk=offer.entry_id).active


def test_a_yes_after_someone_else_won_is_told_it_was_taken(offered, clock, settle, sms):
    first, second, _ = pending(offered)
    text_in(first.phone.e164, "YES")
    settle()
    clock.advance(seconds=30)
    before = len(sms.bodies_to(second.phone.e164))
    text_in(second.phone.e164, "YES")
    settle()
    bodies = sms.bodies_to(second.phone.e164)
    assert len(bodies) == before + 1
    assert "just taken" in bodies[-1] and "stay on the waitlist" in bodies[-1]
    second.refresh_from_db()
    assert second.status == Offer.Status.SUPERSEDED


def test_a_repeated_yes_from_the_winner_repeats_the_confirmation(offered, settle, sms):
    winner = pending(offered)[0]
    text_in(winner.phone.e164, "YES")
    text_in(winner.phone.e164, "yes please")
    settle()
    booked = [b for b in sms.bodies_to(winner.phone.e164) if "you are booked" in b]
    assert len(booked) == 2
    assert Offer.objects.filter(cancellation=offered, status="accepted").count() == 1


def test_a_no_declines_and_keeps_the_entry(offered, settle, sms):
    offer = pending(offered)[0]
    text_in(offer.phone.e164, "NO")
    settle()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    assert WaitlistEntry.objects.get(pk=offer.entry_id).active
    assert "stay on the waitlist" in sms.bodies_to(offer.phone.e164)[-1]


def test_stop_withdraws_the_pending_offer_and_the_last_one_starts_the_next_wave(offered, settle, sms):
    a, b, c = pending(offered)
    text_in(a.phone.e164, "NO")
    text_in(b.phone.e164, "NO")
    text_in(c.phone.e164, "STOP")
    settle()
    c.refresh_from_db()
    offered.refresh_from_db()
    assert c.status == Offer.Status.WITHDRAWN
    assert offered.current_wave == 2
    assert len(pending(offered)) == 3
    assert not any("Reply YES" in body for body in sms.bodies_to(c.phone.e164)[1:])


def test_an_unclear_reply_gets_one_clarification_per_offer(offered, settle, sms):
    offer = pending(offered)[0]
    text_in(offer.phone.e164, "what time was that again")
    text_in(offer.phone.e164, "hello??")
    settle()
    clarifications = [b for b in sms.bodies_to(offer.phone.e164) if "did not understand" in b]
    assert len(clarifications) == 1
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING and offer.clarified


def test_a_no_after_the_offer_ended_changes_nothing(offered, clock, settle):
    offer = pending(offered)[0]
    clock.advance(minutes=8)
    services.offers_expire_due()
    settle()
    text_in(offer.phone.e164, "no")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    assert offer.responded_at is None


def test_a_yes_in_flight_when_the_slot_was_filled_gets_one_taken_text_not_two(offered, clock, settle, sms):
    from messaging import services as messaging

    first, second, _ = pending(offered)
    in_flight, _ = messaging.inbound_record(params={"MessageSid": "SM" + "e" * 32, "From": second.phone.e164,
                                                    "Body": "YES"})
    clock.advance(seconds=1)
    text_in(first.phone.e164, "YES")
    messaging.inbound_process(message_id=in_flight.pk)
    settle()
    assert [b for b in sms.bodies_to(second.phone.e164) if "just taken" in b] == [
        sms.bodies_to(second.phone.e164)[-1]
    ]
