"""A patient whose third silent hold set their entry aside, and who then answers (a YES a minute
late, a text we cannot read), hears "you stay on the waitlist": that has to be true. Any answer
brings an entry set aside for silence back and resets the count; an entry that staff, an import or a
booking ended stays ended."""

import datetime as dt

import pytest

from core.models import AuditEvent
from offers import services
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

from ._support import SLOT_AT, eligible_ids, outbound, pending, slot, text_in, waiting
from .test_unresponsive_entries import STAFF
from .test_unresponsive_entries import cl as unresponsive_clinic

pytestmark = pytest.mark.django_db
# the clinic and rules of the unresponsive-entries tests (only the no-reply rule decides)
cl = unresponsive_clinic


def _silent_offers(cl, clock, settle, n):
    last = None
    for k in range(n):
        c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=k))
        settle()
        (last,) = pending(c)
        clock.advance(minutes=8)
        services.offers_expire_due()
        settle()
    return last


def test_a_yes_just_after_the_third_silent_hold_brings_the_entry_back(cl, clock, settle):
    (e,) = waiting(1)
    offer = _silent_offers(cl, clock, settle, 3)
    e.refresh_from_db()
    assert (e.active, e.inactive_reason) == (False, WaitlistEntry.InactiveReason.UNRESPONSIVE)

    assert text_in(offer.phone.e164, "YES") == "accept"
    settle()

    e.refresh_from_db()
    assert (e.active, e.consecutive_no_reply) == (True, 0)
    assert outbound(offer.phone.e164, "expired").exists()
    assert eligible_ids(slot(cl, start_at=SLOT_AT + dt.timedelta(hours=6))) == {e.pk}
    event = AuditEvent.objects.get(action="entry.reactivate", object_id=str(e.pk))
    assert event.actor_kind == "patient" and event.note == "answered an offer"


def test_an_unreadable_answer_resets_the_count_and_its_hold_is_no_silence(cl, clock, settle):
    (e,) = waiting(1)
    _silent_offers(cl, clock, settle, 2)
    c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=4))
    settle()
    (offer,) = pending(c)
    text_in(offer.phone.e164, "what time is parking?")
    clock.advance(minutes=8)
    services.offers_expire_due()
    settle()

    e.refresh_from_db()
    # the two silences before are forgotten, and this hold, answered, is not counted as one
    assert (e.active, e.consecutive_no_reply) == (True, 0)


def test_a_late_answer_does_not_bring_back_an_entry_staff_removed(cl, clock, settle):
    (e,) = waiting(1)
    c = slot(cl)
    settle()
    (offer,) = pending(c)
    clock.advance(minutes=8)
    services.offers_expire_due()
    assert waitlist.entry_deactivate(entry_id=e.pk, reason=WaitlistEntry.InactiveReason.REMOVED, actor=STAFF)

    text_in(offer.phone.e164, "YES")

    e.refresh_from_db()
    assert (e.active, e.inactive_reason) == (False, WaitlistEntry.InactiveReason.REMOVED)
