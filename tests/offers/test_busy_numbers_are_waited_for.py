"""A slot whose only candidates are busy for now (a pending offer elsewhere) waits for them rather
than ending "nobody left"; with the default 1-a-day cap a busy number is capped too, so the slot
ends at once."""

import datetime as dt

import pytest

from offers import services
from offers.models import Cancellation, Offer
from waitlist.models import WaitlistEntry

from ._support import SLOT_AT, clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db


def test_with_the_default_caps_a_slot_whose_candidates_are_all_offered_elsewhere_ends(clock, settle):
    cl = clinic()
    waiting(1)
    slot(cl)
    settle()
    second = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=2))
    settle()
    second.refresh_from_db()
    assert (second.status, second.end_reason) == (Cancellation.Status.UNFILLED, Cancellation.EndReason.EXHAUSTED)


def test_with_caps_lifted_the_slot_waits_for_the_busy_number_and_offers_it_when_free(clock, settle, settings):
    settings.OFFER_CAP_PER_DAY = settings.OFFER_CAP_PER_WEEK = 10
    settings.OFFER_COOLDOWN_MINUTES = 0
    cl = clinic()
    (e,) = waiting(1)
    first = slot(cl)
    settle()
    (busy,) = pending(first)
    second = slot(cl, start_at=SLOT_AT + dt.timedelta(hours=2))
    settle()
    second.refresh_from_db()
    assert second.status == Cancellation.Status.OPEN
    assert second.next_wave_at == busy.expires_at + dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS)
    text_in(busy.phone.e164, "no")
    settle()
    clock.set(second.next_wave_at)
    services.engine_tick()
    settle()
    (offer,) = pending(second)
    assert offer.entry_id == e.pk


def _offer_from_two_days_ago(settle, *, declined: bool) -> tuple:
    """One waiting patient, offered a later slot; the offer is then moved two days back (with the
    caps bound its wave wrote, a day after it, cleared as lapsed). Returns the offer and a slot
    logged after it."""
    cl = clinic()
    (e,) = waiting(1)
    first = slot(cl, start_at=SLOT_AT + dt.timedelta(days=3))
    settle()
    (busy,) = pending(first)
    if declined:
        text_in(busy.phone.e164, "no")
        settle()
        busy.refresh_from_db()
    Offer.objects.filter(pk=busy.pk).update(sent_at=busy.sent_at - dt.timedelta(days=2))
    WaitlistEntry.objects.filter(pk=e.pk).update(offer_capped_until=None)
    second = slot(cl, start_at=SLOT_AT + dt.timedelta(days=2))
    settle()
    second.refresh_from_db()
    return busy, second


def test_with_the_default_caps_a_number_held_by_an_offer_older_than_a_day_is_still_waited_for(clock, settle, settings):
    # a hold that outlived the day cap (the timer was down): the number is busy but not capped, so
    # the quick "nobody can be busy" answer must not apply
    busy, second = _offer_from_two_days_ago(settle, declined=False)
    assert second.status == Cancellation.Status.OPEN
    assert second.next_wave_at == busy.expires_at + dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS)


def test_with_the_default_caps_a_number_resting_after_an_offer_older_than_a_day_is_waited_for(clock, settle, settings):
    busy, second = _offer_from_two_days_ago(settle, declined=True)
    assert second.status == Cancellation.Status.OPEN
    assert second.next_wave_at == busy.ended_at + dt.timedelta(minutes=settings.OFFER_COOLDOWN_MINUTES)
