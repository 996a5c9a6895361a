"""A slot whose only candidates are busy for now (a pending offer elsewhere) waits for them rather
than ending "nobody left"; with the default 1-a-day cap a busy number is capped too, so the slot
ends at once."""

import datetime as dt

import pytest

from offers import services
from offers.models import Cancellation

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
