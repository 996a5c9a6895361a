"""After K offers in a row with no reply an entry is set aside (unresponsive) until staff bring it
back; any reply resets the count."""

import datetime as dt

import pytest

from core.actors import Actor
from offers import services
from waitlist import services as waitlist
from waitlist.models import WaitlistEntry

from ._support import SLOT_AT, clinic, eligible_ids, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db

STAFF = Actor("staff", "front-desk", None)


@pytest.fixture
def cl(clock, settings):
    # only the no-reply rule should decide here
    settings.OFFER_CAP_PER_DAY = settings.OFFER_CAP_PER_WEEK = 99
    settings.OFFER_COOLDOWN_MINUTES = 0
    settings.OFFER_UNRESPONSIVE_AFTER = 3
    return clinic()


def offer_and(cl, clock, settle, n, then):
    c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=n))
    settle()
    (offer,) = pending(c)
    if then == "ignore":
        clock.advance(minutes=8)
        services.offers_expire_due()
    else:
        text_in(offer.phone.e164, then)
    settle()
    return c


def test_three_unanswered_offers_in_a_row_set_the_entry_aside(cl, clock, settle):
    (e,) = waiting(1)
    for n in range(2):
        offer_and(cl, clock, settle, n, "ignore")
    e.refresh_from_db()
    assert (e.active, e.consecutive_no_reply) == (True, 2)
    offer_and(cl, clock, settle, 2, "ignore")
    e.refresh_from_db()
    assert (e.active, e.inactive_reason) == (False, WaitlistEntry.InactiveReason.UNRESPONSIVE)
    assert eligible_ids(slot(cl, start_at=SLOT_AT + dt.timedelta(hours=5))) == set()


def test_a_reply_resets_the_count(cl, clock, settle):
    (e,) = waiting(1)
    offer_and(cl, clock, settle, 0, "ignore")
    offer_and(cl, clock, settle, 1, "ignore")
    offer_and(cl, clock, settle, 2, "NO")
    offer_and(cl, clock, settle, 3, "ignore")
    offer_and(cl, clock, settle, 4, "ignore")
    e.refresh_from_db()
    assert (e.active, e.consecutive_no_reply) == (True, 2)


def test_staff_reactivation_makes_the_entry_eligible_again_with_a_fresh_count(cl, clock, settle):
    (e,) = waiting(1)
    for n in range(3):
        offer_and(cl, clock, settle, n, "ignore")
    c = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=6))
    assert eligible_ids(c) == set()
    assert waitlist.entry_reactivate(entry_id=e.pk, actor=STAFF)
    e.refresh_from_db()
    assert (e.active, e.consecutive_no_reply) == (True, 0)
    assert eligible_ids(c) == {e.pk}
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(action="entry.reactivate", object_id=str(e.pk), actor_label="front-desk").exists()
