"""A YES after the hold was one of the reference's stalls. Now it is answered "expired" and changes
nothing: the timer still ends the hold and the next wave starts."""

import pytest

from offers import services
from offers.models import Cancellation, Offer

from ._support import clinic, pending, slot, text_in, waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(clock, settle, settings):
    settings.OFFER_BATCH_SIZE = 1
    waiting(3)
    c = slot(clinic())
    settle()
    return c


def test_a_late_yes_before_the_timer_ran_does_not_hold_up_the_next_wave(c, clock, settle, sms):
    (offer,) = pending(c)
    clock.advance(minutes=7, seconds=0.5)  # past the hold, inside the timer's grace
    text_in(offer.phone.e164, "YES")
    settle()
    assert "has expired" in sms.bodies_to(offer.phone.e164)[-1]
    clock.advance(seconds=1)
    services.engine_tick()
    settle()
    offer.refresh_from_db()
    c.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    assert (c.current_wave, c.status) == (2, Cancellation.Status.OFFERING)
    assert len(pending(c)) == 1


def test_a_late_yes_after_the_next_wave_started_books_nothing(c, clock, settle, sms):
    (offer,) = pending(c)
    clock.advance(minutes=8)
    services.engine_tick()
    settle()
    (newer,) = pending(c)
    text_in(offer.phone.e164, "YES")
    settle()
    c.refresh_from_db()
    newer.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING
    assert newer.status == Offer.Status.PENDING
    assert "has expired" in sms.bodies_to(offer.phone.e164)[-1]
