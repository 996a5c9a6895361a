"""A patient taken off the waitlist (by staff, the API, an import or the retention run) while their
offer is pending must not be booked by a YES that follows: the slot stays open for the others, the
offer ends (withdrawn, in the patient's name) so the cascade goes on, and the patient is not told
they stay on a waitlist they were taken off."""

import pytest

from core.actors import Actor
from core.models import AuditEvent
from offers.models import Cancellation, Offer
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "sam.frontdesk", None)


def _remove(offer):
    assert waitlist.entry_deactivate(entry_id=offer.entry_id, reason=WaitlistEntry.InactiveReason.REMOVED,
                                     actor=STAFF, note="removed by staff")


def test_an_entry_removed_while_its_offer_is_pending_cannot_book_the_slot(clock, settle, sms):
    waiting(3)
    c = slot(clinic())
    settle()
    offer = pending(c)[0]
    _remove(offer)
    texts_before = len(sms.bodies_to(offer.phone.e164))
    text_in(offer.phone.e164, "YES")
    settle()
    c.refresh_from_db()
    offer.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING
    assert offer.status == Offer.Status.WITHDRAWN
    assert WaitlistEntry.objects.get(pk=offer.entry_id).inactive_reason == WaitlistEntry.InactiveReason.REMOVED
    assert AuditEvent.objects.filter(action="offer.withdrawn", object_id=str(offer.pk),
                                     actor_kind="patient").exists()
    # every outcome text says "you stay on the waitlist", no longer true for them: they are asked to
    # call instead, and told nothing false
    replies = sms.bodies_to(offer.phone.e164)[texts_before:]
    assert len(replies) == 1 and "Please call us" in replies[0] and "waitlist" not in replies[0]
    assert len(pending(c)) == 2


def test_the_others_can_still_book_the_slot(clock, settle, sms):
    waiting(3)
    c = slot(clinic())
    settle()
    removed, other, _ = pending(c)
    _remove(removed)
    text_in(removed.phone.e164, "YES")
    text_in(other.phone.e164, "YES")
    settle()
    c.refresh_from_db()
    assert (c.status, c.filled_offer_id) == (Cancellation.Status.FILLED, other.pk)


def test_the_last_pending_offer_ending_this_way_starts_the_next_wave(clock, settle, sms):
    waiting(4)
    c = slot(clinic())
    settle()
    a, b, last = pending(c)
    text_in(a.phone.e164, "no")
    text_in(b.phone.e164, "no")
    settle()
    _remove(last)
    text_in(last.phone.e164, "YES")
    settle()
    c.refresh_from_db()
    assert c.current_wave == 2 and len(pending(c)) == 1
